# Kernel refusals arrive as IpvsError with the right errno; timeouts, the sync daemon and flush work.
. /tests/lib.sh
need_bin /opt/guest-ipvs "test/vm/guest-ipvs.ts did not compile"
/opt/guest-ipvs errors || fail "guest-ipvs errors"
/opt/guest-ipvs extras || fail "guest-ipvs extras"
ipvsadm -L --timeout | tee /tmp/t
grep -q "Timeout (tcp tcpfin udp): 3600 60 200" /tmp/t || fail "ipvsadm --timeout"
ipvsadm -L --daemon | tee /tmp/d
grep -q "master sync daemon (mcast=lo, syncid=5" /tmp/d || fail "ipvsadm --daemon"
grep -q "port=8850, ttl=3" /tmp/d || fail "ipvsadm --daemon shows another port or ttl than we set"
ipvsadm --stop-daemon master
[ -z "$(ipvsadm -Ln | awk 'NR > 3')" ] || fail "table not empty after flush"
