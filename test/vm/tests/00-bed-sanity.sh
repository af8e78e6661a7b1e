# The bed itself: IPVS modules loaded, ipvsadm talks to the kernel, the table helper reads what it wrote,
# and a busybox real server answers on loopback.
. /tests/lib.sh
grep -q '^ip_vs ' /proc/modules || fail "ip_vs is not loaded"
ipvsadm -A -t 192.0.2.10:80 -s rr || fail "ipvsadm -A"
ipvsadm -a -t 192.0.2.10:80 -r 127.0.0.2:8080 -m -w 3 || fail "ipvsadm -a"
ipvsadm -A -f 7 -s wlc || fail "ipvsadm -A -f"
cat > /tmp/want <<'T'
TCP 192.0.2.10:80 rr | 127.0.0.2:8080 Masq 3
FWM 7 wlc | -
T
expect_table /tmp/want || fail "table"
listen_http 127.0.0.2 8080
i=0
until wget -q -O /tmp/got http://127.0.0.2:8080/ 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 50 ] || fail "httpd on 127.0.0.2:8080 never answered"; usleep 100000
done
grep -q ok /tmp/got || fail "httpd answered $(cat /tmp/got)"
ipvsadm -C
echo "bed ok: $(grep -c . /proc/modules) modules"
