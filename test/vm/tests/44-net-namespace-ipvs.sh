# net_namespace_ipvs beside keepalived 2.2.7: the daemon runs in the initial namespace and drives IPVS in
# the named one (/var/run/netns/kne-v, where keepalived looks for it; made here with busybox unshare; the
# guest's /var/run is not /run). For both daemons the virtual server must
# appear in kne-v's IPVS table, the initial namespace's table must stay empty, and TERM must remove it.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
mkdir -p /var/run/netns
touch /var/run/netns/kne-v
unshare --net=/var/run/netns/kne-v true || fail "cannot make the namespace kne-v"
# A route to the real server inside kne-v: IPVS refuses a NAT destination it cannot reach (EINVAL).
nsenter --net=/var/run/netns/kne-v sh -c 'ip link set lo up && ip link add kne0 type dummy && ip link set kne0 up && ip addr add 192.0.2.1/24 dev kne0' ||
  fail "cannot set up kne-v"
cat > /tmp/nsi.conf <<'EOF'
net_namespace_ipvs kne-v
virtual_server 192.0.2.44 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.45 80 {
        weight 2
    }
}
EOF
in_ns() { nsenter --net=/var/run/netns/kne-v ipvsadm -Ln | grep -E '192\.0\.2\.4[45]'; }
has_vs() { in_ns | grep -q 192.0.2.45; }
no_vs() { ! in_ns | grep -q 192.0.2.44; }
wait_until() { # SECS CMD...
  end=$(( $(now) + $1 )); shift
  while [ "$(now)" -lt $end ]; do "$@" && return 0; usleep 200000; done
  return 1
}
ok=1
run() { # WHO BINARY
  "$2" -n -l -D -f /tmp/nsi.conf -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" -r "/tmp/$1-v.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  if ! wait_until 60 has_vs; then echo "$1: no virtual server in kne-v"; ok=0; fi
  in_ns | sed 's/ \+/ /g' > "/tmp/$1.ns"
  ipvsadm -Ln | grep -E '192\.0\.2\.4[45]' > "/tmp/$1.root"
  if [ -s "/tmp/$1.root" ]; then echo "$1: the virtual server is in the initial namespace"; cat "/tmp/$1.root"; ok=0; fi
  kill -TERM $pid
  wait_gone $pid 20 || { echo "$1: did not exit on SIGTERM"; ok=0; }
  if ! wait_until 20 no_vs; then echo "$1: left the virtual server in kne-v"; ok=0; fi
}
run ref /opt/keepalived-ref
run ours /opt/keepalived
echo "--- kne-v (keepalived 2.2.7)"; cat /tmp/ref.ns
diff /tmp/ref.ns /tmp/ours.ns || { echo "--- kne-v tables differ"; ok=0; }
[ -s /tmp/ref.ns ] || { echo "keepalived 2.2.7 programmed nothing in kne-v"; ok=0; }
umount /var/run/netns/kne-v
[ $ok = 1 ] || { echo "--- ours log"; tail -n 30 /tmp/ours.log; echo "--- keepalived log"; tail -n 30 /tmp/ref.log; fail "net_namespace_ipvs"; }
