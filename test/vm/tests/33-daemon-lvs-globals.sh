# Whole daemon, the global LVS settings: lvs_flush empties a table another tool made before the first
# sync, lvs_timeouts reach the kernel (ipvsadm -L --timeout), lvs_sync_daemon runs a backup sync daemon
# (its VRRP instance is not MASTER here: this VM has no VRRP), and with lvs_flush_on_stop SIGTERM
# flushes everything, -I notwithstanding, and stops the sync daemon.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
lvs_listeners
ip link set lo multicast on
ipvsadm -A -t 198.51.100.1:443 -s sh && ipvsadm -a -t 198.51.100.1:443 -r 127.0.0.9:443 -m -w 1 || fail "ipvsadm setup"
ipvsadm --set 900 120 300 || fail "ipvsadm --set"
sed 's/^    router_id ipvs-vm$/    router_id ipvs-vm\
    lvs_flush\
    lvs_timeouts tcp 7200 tcpfin 30 udp 50\
    lvs_sync_daemon lo VI_1 id 5 port 8849\
    lvs_flush_on_stop/' /tests/configs/lvs.conf > /tmp/ka.conf
grep -q lvs_flush_on_stop /tmp/ka.conf || fail "could not write the configuration"
/opt/keepalived -n -l -C -G -I -f /tmp/ka.conf -p /tmp/ka.pid -c /tmp/ka-c.pid > /tmp/ka.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
ok=1
if wait_table /tests/configs/lvs.expected 90; then
  echo "foreign service flushed, our table as expected"
  t=$(ipvsadm -L --timeout)
  echo "$t"
  echo "$t" | grep -q "7200 30 50" || { echo "lvs_timeouts not applied"; ok=0; }
  d=$(ipvsadm -L --daemon)
  echo "$d"
  echo "$d" | grep -q "backup sync daemon (mcast=lo, syncid=5" || { echo "no backup sync daemon"; ok=0; }
  echo "$d" | grep -q "port=8849" || { echo "sync daemon port not applied"; ok=0; }
  echo "$d" | grep -q "master sync daemon" && { echo "unexpected master sync daemon"; ok=0; }
else
  ok=0
fi
# Another tool's service made while we run: lvs_flush_on_stop (all) removes it too.
ipvsadm -A -t 198.51.100.2:443 -s rr || { echo "ipvsadm -A while running"; ok=0; }
kill -TERM $pid
wait_gone $pid 20 || { echo "keepalived did not exit on SIGTERM"; ok=0; }
wait_empty 10 || { echo "lvs_flush_on_stop with -I left:"; ipvs_table; ok=0; }
[ -z "$(ipvsadm -L --daemon)" ] || { echo "sync daemon left running:"; ipvsadm -L --daemon; ok=0; }
[ $ok = 1 ] || { echo "--- daemon log (last 40 lines)"; tail -n 40 /tmp/ka.log; fail "global LVS settings"; }
