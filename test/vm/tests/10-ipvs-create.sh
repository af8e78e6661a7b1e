# Our netlink IPVS writer creates NAT/DR/TUN, fwmark, UDP one-packet, persistent and IPv6 services that
# ipvsadm lists exactly as written, and reads the same table back.
. /tests/lib.sh
need_bin /opt/guest-ipvs "test/vm/guest-ipvs.ts did not compile"
/opt/guest-ipvs create || fail "guest-ipvs create"
cat > /tmp/want <<'T'
TCP 192.0.2.10:80 rr | 127.0.0.2:8080 Masq 3
TCP 192.0.2.10:80 rr | 127.0.0.3:8080 Masq 1
TCP 192.0.2.11:80 wrr persistent 300 mask 255.255.255.0 | 192.0.2.101:80 Route 2
TCP 192.0.2.11:80 wrr persistent 300 mask 255.255.255.0 | 192.0.2.102:80 Route 5
TCP 192.0.2.12:80 wlc | 198.51.100.5:80 Tunnel 1
TCP 192.0.2.12:80 wlc | 198.51.100.6:80 Tunnel 4
FWM 7 sh | 127.0.0.4:0 Route 1
UDP 192.0.2.13:53 lc ops | 127.0.0.5:53 Masq 1
TCP [2001:db8::10]:80 rr | [2001:db8::2]:8080 Masq 1
T
expect_table /tmp/want || fail "ipvsadm -Ln differs"
