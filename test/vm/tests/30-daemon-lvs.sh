# Whole daemon: our keepalived (check child only) with configs/lvs.conf brings ipvsadm -Ln to exactly
# configs/lvs.expected (the table keepalived 2.2.7 makes, see 29-*), follows a real server going down,
# and removes its services on SIGTERM.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
lvs_listeners
/opt/keepalived -n -l -C -G -f /tests/configs/lvs.conf -p /tmp/ka.pid -c /tmp/ka-c.pid > /tmp/ka.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
t0=$(now)
ok=1
# Bun starts slowly under TCG (two processes, a 100 MB binary each): allow 90 s for the first table.
if wait_table /tests/configs/lvs.expected 90; then
  echo "table as expected $(( $(now) - t0 )) s after start"
  # Stop the NAT real server's listener: the checker must remove it from IPVS.
  kill "$(sed -n 1p /tmp/test-pids)"
  grep -v '127.0.0.2:8080' /tests/configs/lvs.expected > /tmp/down.expected
  echo "TCP 192.0.2.10:80 rr | -" >> /tmp/down.expected
  t1=$(now)
  if wait_table /tmp/down.expected 30; then echo "real server down followed in $(( $(now) - t1 )) s"
  else echo "real server 127.0.0.2 down was not followed"; ok=0; fi
else
  ok=0
fi
kill -TERM $pid
wait_gone $pid 20 || { echo "keepalived did not exit on SIGTERM"; ok=0; }
wait_empty 10 || { echo "services left behind after SIGTERM:"; ipvs_table; ok=0; }
[ $ok = 1 ] || { echo "--- daemon log (last 40 lines)"; tail -n 40 /tmp/ka.log; fail "our keepalived table"; }
