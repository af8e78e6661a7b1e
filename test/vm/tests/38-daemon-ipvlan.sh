# use_ipvlan beside keepalived 2.2.7 (this host's kernel has no ipvlan; the VM's Debian kernel has the
# module): the same config on dummy0 for Debian's keepalived and for ours; both must go MASTER with the
# ipvlan vrrp.51 made on dummy0 (same MAC, the configured address, IPv6 off), the VIP where keepalived
# puts it (on dummy0), and delete the ipvlan at TERM. The observed facts are compared line for line.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
ip link set dummy0 multicast on
ip link set dummy0 up
ip addr add 198.51.100.1/24 dev dummy0 2>/dev/null
cat > /tmp/ipv.conf <<'X'
vrrp_instance VI_1 {
    state MASTER
    interface dummy0
    use_ipvlan 198.51.100.51/24 private
    virtual_router_id 51
    priority 255
    advert_int 1
    virtual_ipaddress {
        198.51.100.100/24
    }
}
X
facts() { # WHO
  d=/sys/class/net
  echo "exists $([ -d $d/vrrp.51 ] && echo yes || echo no)"
  echo "parent $([ "$(cat $d/vrrp.51/iflink)" = "$(cat $d/dummy0/ifindex)" ] && echo dummy0 || echo other)"
  echo "mac $([ "$(cat $d/vrrp.51/address)" = "$(cat $d/dummy0/address)" ] && echo parent || echo other)"
  echo "up $(cat $d/vrrp.51/operstate)"
  echo "disable_ipv6 $(cat /proc/sys/net/ipv6/conf/vrrp.51/disable_ipv6)"
  for i in vrrp.51 dummy0; do ip -4 addr show dev $i | sed -n "s/^ *inet \([^ ]*\).*/$i inet \1/p" | sort; done
}
run() { # WHO BINARY
  "$2" -n -l -D -f /tmp/ipv.conf -p "/tmp/$1.pid" -r "/tmp/$1-v.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  end=$(( $(now) + 30 ))
  until grep -q 'Entering MASTER STATE' "/tmp/$1.log" && ip addr | grep -q 198.51.100.100 || [ "$(now)" -ge $end ]; do usleep 200000; done
  facts > "/tmp/$1.facts"
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop"
  echo "after stop: $([ -d /sys/class/net/vrrp.51 ] && echo present || echo gone)" >> "/tmp/$1.facts"
  : > /tmp/test-pids
}
run ref /opt/keepalived-ref
run ours /opt/keepalived
echo "--- keepalived 2.2.7:"; cat /tmp/ref.facts
grep -q "inet 198.51.100.100/24" /tmp/ref.facts || { cat /tmp/ref.log; fail "keepalived 2.2.7 did not add the VIP"; }
if ! cmp -s /tmp/ref.facts /tmp/ours.facts; then
  diff -u /tmp/ref.facts /tmp/ours.facts
  tail -n 20 /tmp/ours.log
  fail "our ipvlan differs from keepalived 2.2.7's"
fi
grep -h "ipvlan\|VMAC" /tmp/ref.log /tmp/ours.log
echo "ipvlan as keepalived 2.2.7 makes it"
