# A table made by ipvsadm (as left by a previous run) is adopted by the reconciler with no write, and a
# weight change is one edit in place.
. /tests/lib.sh
need_bin /opt/guest-ipvs "test/vm/guest-ipvs.ts did not compile"
ipvsadm -A -t 192.0.2.10:80 -s rr && ipvsadm -a -t 192.0.2.10:80 -r 127.0.0.2:8080 -m -w 3 &&
  ipvsadm -a -t 192.0.2.10:80 -r 127.0.0.3:8080 -m -w 1 && ipvsadm -A -f 7 -s wrr &&
  ipvsadm -a -f 7 -r 127.0.0.4 -g -w 2 || fail "ipvsadm setup"
/opt/guest-ipvs adopt || fail "guest-ipvs adopt"
cat > /tmp/want <<'T'
TCP 192.0.2.10:80 rr | 127.0.0.2:8080 Masq 7
TCP 192.0.2.10:80 rr | 127.0.0.3:8080 Masq 1
FWM 7 wrr | 127.0.0.4:0 Route 2
T
expect_table /tmp/want || fail "ipvsadm -Ln differs"
