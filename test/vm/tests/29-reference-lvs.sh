# Oracle for the whole-daemon test: Debian's keepalived 2.2.7 with configs/lvs.conf produces exactly
# configs/lvs.expected, and removes its services on SIGTERM. If this fails, the expectation is wrong.
. /tests/lib.sh
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
lvs_listeners
/opt/keepalived-ref -n -l -C -G -f /tests/configs/lvs.conf -p /tmp/ref.pid -c /tmp/ref-c.pid > /tmp/ref.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
ok=0
wait_table /tests/configs/lvs.expected 30 && ok=1
kill -TERM $pid
wait_gone $pid 20 || echo "keepalived did not exit on SIGTERM"
wait_empty 10 || { echo "keepalived left services behind:"; ipvs_table; ok=0; }
[ $ok = 1 ] || { tail -n 30 /tmp/ref.log; fail "keepalived 2.2.7 table"; }
