# Reload: the reconciler writes only what changed, removes the virtual server it dropped, and never
# touches a service it does not own (made here by ipvsadm).
. /tests/lib.sh
need_bin /opt/guest-ipvs "test/vm/guest-ipvs.ts did not compile"
ipvsadm -A -t 198.51.100.1:443 -s sh && ipvsadm -a -t 198.51.100.1:443 -r 127.0.0.9:443 -m -w 1 || fail "ipvsadm setup"
/opt/guest-ipvs reload || fail "guest-ipvs reload"
cat > /tmp/want <<'T'
TCP 192.0.2.10:80 rr | 127.0.0.3:8080 Masq 1
TCP 192.0.2.20:25 lc | 127.0.0.6:25 Masq 1
TCP 198.51.100.1:443 sh | 127.0.0.9:443 Masq 1
T
expect_table /tmp/want || fail "ipvsadm -Ln differs"
