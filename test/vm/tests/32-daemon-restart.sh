# Whole daemon, restart: stopped with -I (--dont-release-ipvs) the table stays; a new daemon adopts it:
# the services are not deleted and re-added (the NAT service keeps its connection counter) and the
# table ends exactly as configured.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
lvs_listeners
conns() { ipvsadm -Ln -t 192.0.2.10:80 --stats | awk '$1 == "TCP" { print $3 }'; }
start() {
  log=$1
  shift
  /opt/keepalived -n -l -C -G "$@" -f /tests/configs/lvs.conf -p /tmp/ka.pid -c /tmp/ka-c.pid > "$log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
}
ok=1
start /tmp/ka.log -I
if wait_table /tests/configs/lvs.expected 90; then
  nc -w 2 192.0.2.10 80 < /dev/null > /dev/null 2>&1
  end=$(( $(now) + 10 ))
  while [ "$(conns)" = 0 ] && [ "$(now)" -lt $end ]; do usleep 300000; done
  c0=$(conns)
  echo "connections on 192.0.2.10:80 before restart: $c0"
  [ "${c0:-0}" -gt 0 ] || { echo "no connection counted through IPVS"; ok=0; }
  kill -TERM $pid
  wait_gone $pid 20 || { echo "keepalived -I did not exit on SIGTERM"; ok=0; }
  expect_table /tests/configs/lvs.expected || { echo "-I must leave the IPVS table in place"; ok=0; }
  start /tmp/ka2.log
  t1=$(now)
  # The new daemon has applied its table once its check child logged the configuration it loaded.
  end=$(( $(now) + 90 ))
  until grep -q "Loaded configuration" /tmp/ka2.log && grep -q "All child processes are running" /tmp/ka2.log; do
    [ "$(now)" -lt $end ] || { echo "the restarted daemon never loaded its configuration"; ok=0; break; }
    usleep 300000
  done
  if wait_table /tests/configs/lvs.expected 60; then echo "restarted and settled in $(( $(now) - t1 )) s"
  else echo "table after restart is wrong"; ok=0; fi
  # Adopted, not rebuilt: the reconciler logged no service creation or removal.
  if grep -E "IPVS (addService|delService)" /tmp/ka2.log; then echo "services were re-created on restart"; ok=0; fi
  c1=$(conns)
  echo "connections on 192.0.2.10:80 after restart: $c1"
  [ "${c1:-0}" -ge "${c0:-1}" ] || { echo "192.0.2.10:80 was re-created (counter $c0 -> $c1)"; ok=0; }
else
  ok=0
fi
kill -TERM $pid
wait_gone $pid 20 || { echo "keepalived did not exit on SIGTERM"; ok=0; }
wait_empty 10 || { echo "services left behind after SIGTERM:"; ipvs_table; ok=0; }
[ $ok = 1 ] || { echo "--- first daemon"; tail -n 30 /tmp/ka.log; echo "--- restarted daemon"; tail -n 40 /tmp/ka2.log; fail "restart"; }
