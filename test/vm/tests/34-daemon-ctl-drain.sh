# Whole daemon, keepalived ctl against the real IPVS table: with configs/lvs.conf and no control_socket
# keyword the socket is on at the path derived from the pid file (/tmp/ka.ctl/control.sock, 0600);
# `drain` removes a real server from IPVS without a reload, `undrain` restores it, `weight` changes its
# weight in the kernel, `status --json` says so, and `reload --check` changes nothing.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
lvs_listeners
/opt/keepalived -n -l -C -G -D -f /tests/configs/lvs.conf -p /tmp/ka.pid -c /tmp/ka-c.pid > /tmp/ka.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
sock=/tmp/ka.ctl/control.sock
ctl() { /opt/keepalived ctl -s $sock --timeout 60 "$@"; }
ok=1
if wait_table /tests/configs/lvs.expected 90; then
  ls -l $sock | grep -q '^srw-------' || { echo "socket mode: $(ls -l $sock)"; ok=0; }
  ctl drain 127.0.0.2:8080 || { echo "drain failed"; ok=0; }
  grep -v '127.0.0.2:8080' /tests/configs/lvs.expected > /tmp/drained.expected
  echo "TCP 192.0.2.10:80 rr | -" >> /tmp/drained.expected
  t1=$(now)
  if wait_table /tmp/drained.expected 30; then echo "drain applied in $(( $(now) - t1 )) s"
  else echo "drain not applied"; ok=0; fi
  ctl status --json > /tmp/status.json
  grep -q '"ipvs": true' /tmp/status.json || { echo "status does not say IPVS is programmed"; ok=0; }
  grep -q '"drained": true' /tmp/status.json || { echo "status does not show the drain"; ok=0; }
  ctl undrain 127.0.0.2:8080 || { echo "undrain failed"; ok=0; }
  t1=$(now)
  if wait_table /tests/configs/lvs.expected 30; then echo "undrain applied in $(( $(now) - t1 )) s"
  else echo "undrain not applied"; ok=0; fi
  ctl weight 127.0.0.2:8080 9 || { echo "weight failed"; ok=0; }
  sed 's/127.0.0.2:8080 Masq 3/127.0.0.2:8080 Masq 9/' /tests/configs/lvs.expected > /tmp/weight.expected
  if wait_table /tmp/weight.expected 30; then echo "weight applied"
  else echo "weight not applied"; ok=0; fi
  ctl reload --check
  rc=$?
  [ $rc = 0 ] || [ $rc = 5 ] || { echo "reload --check exit $rc"; ok=0; }
  expect_table /tmp/weight.expected || { echo "reload --check changed the table"; ok=0; }
else
  ok=0
fi
kill -TERM $pid
wait_gone $pid 20 || { echo "keepalived did not exit on SIGTERM"; ok=0; }
[ -e $sock ] && { echo "socket left behind"; ok=0; }
[ $ok = 1 ] || { echo "--- daemon log (last 40 lines)"; tail -n 40 /tmp/ka.log; fail "keepalived ctl on IPVS"; }
