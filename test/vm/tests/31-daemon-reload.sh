# Whole daemon, reload (SIGHUP): only what changed is written. The NAT service that stays keeps its
# connection counter (it was not deleted and re-added), the service another tool made is never touched,
# and SIGTERM removes only our services.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
lvs_listeners
ipvsadm -A -t 198.51.100.1:443 -s sh && ipvsadm -a -t 198.51.100.1:443 -r 127.0.0.9:443 -m -w 1 || fail "ipvsadm setup"
foreign="TCP 198.51.100.1:443 sh | 127.0.0.9:443 Masq 1"
cp /tests/configs/lvs.conf /tmp/ka.conf
{ cat /tests/configs/lvs.expected; echo "$foreign"; } > /tmp/before.expected
{ cat /tests/configs/lvs-reload.expected; echo "$foreign"; } > /tmp/after.expected
/opt/keepalived -n -l -C -G -f /tmp/ka.conf -p /tmp/ka.pid -c /tmp/ka-c.pid > /tmp/ka.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
conns() { ipvsadm -Ln -t 192.0.2.10:80 --stats | awk '$1 == "TCP" { print $3 }'; }
ok=1
if wait_table /tmp/before.expected 90; then
  # One connection through IPVS (locally originated, NAT): the service's counter becomes non-zero.
  nc -w 2 192.0.2.10 80 < /dev/null > /dev/null 2>&1
  # The kernel folds per-CPU counters into what ipvsadm shows every 2 s: poll.
  end=$(( $(now) + 10 ))
  while [ "$(conns)" = 0 ] && [ "$(now)" -lt $end ]; do usleep 300000; done
  c0=$(conns)
  echo "connections on 192.0.2.10:80 before reload: $c0"
  [ "${c0:-0}" -gt 0 ] || { echo "no connection counted through IPVS"; ok=0; }
  cp /tests/configs/lvs-reload.conf /tmp/ka.conf
  kill -HUP $pid
  t1=$(now)
  if wait_table /tmp/after.expected 60; then echo "reloaded table in $(( $(now) - t1 )) s"
  else echo "reload was not applied"; ok=0; fi
  c1=$(conns)
  echo "connections on 192.0.2.10:80 after reload: $c1"
  [ "${c1:-0}" -ge "${c0:-1}" ] || { echo "192.0.2.10:80 was re-created (counter $c0 -> $c1)"; ok=0; }
else
  ok=0
fi
kill -TERM $pid
wait_gone $pid 20 || { echo "keepalived did not exit on SIGTERM"; ok=0; }
echo "$foreign" > /tmp/foreign.expected
wait_table /tmp/foreign.expected 10 || { echo "SIGTERM must remove our services and only ours"; ok=0; }
[ $ok = 1 ] || { echo "--- daemon log (last 40 lines)"; tail -n 40 /tmp/ka.log; fail "reload"; }
