# lvs_sync_daemon_interface inside a vrrp_instance (the old form of global lvs_sync_daemon) beside
# keepalived 2.2.7: the same config for Debian's keepalived and for ours; once the instance is MASTER on
# dummy0, `ipvsadm -L --daemon` must show the same sync daemon(s) for both, and none after TERM.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
ip link set dummy0 multicast on
ip link set dummy0 up
ip addr add 198.51.100.1/24 dev dummy0 2>/dev/null
cat > /tmp/sd.conf <<'X'
vrrp_instance VI_1 {
    state MASTER
    interface dummy0
    virtual_router_id 52
    priority 255
    advert_int 1
    lvs_sync_daemon_interface dummy0
    virtual_ipaddress {
        198.51.100.102/24
    }
}
X
run() { # WHO BINARY
  "$2" -n -l -D -f /tmp/sd.conf -p "/tmp/$1.pid" -r "/tmp/$1-v.pid" -c "/tmp/$1-c.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  end=$(( $(now) + 40 ))
  until grep -q 'Entering MASTER STATE' "/tmp/$1.log" && ipvsadm -L --daemon | grep -q "master sync daemon" || [ "$(now)" -ge $end ]; do usleep 200000; done
  usleep 500000
  ipvsadm -L --daemon > "/tmp/$1.facts"
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop"
  end=$(( $(now) + 10 ))
  until [ -z "$(ipvsadm -L --daemon)" ] || [ "$(now)" -ge $end ]; do usleep 200000; done
  echo "after stop: $(ipvsadm -L --daemon | wc -l) sync daemon line(s)" >> "/tmp/$1.facts"
  : > /tmp/test-pids
}
run ref /opt/keepalived-ref
run ours /opt/keepalived
echo "--- keepalived 2.2.7:"; cat /tmp/ref.facts
grep -q "master sync daemon (mcast=dummy0" /tmp/ref.facts || { tail -n 30 /tmp/ref.log; fail "keepalived 2.2.7 started no master sync daemon"; }
if ! cmp -s /tmp/ref.facts /tmp/ours.facts; then
  diff -u /tmp/ref.facts /tmp/ours.facts
  tail -n 30 /tmp/ours.log
  fail "our sync daemon differs from keepalived 2.2.7's"
fi
grep -h "lvs_sync_daemon_interface\|sync daemon" /tmp/ref.log /tmp/ours.log
echo "lvs_sync_daemon_interface as keepalived 2.2.7 does it"
