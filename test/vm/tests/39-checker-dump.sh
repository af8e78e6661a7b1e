# DRAFT: print keepalived 2.2.7's keepalived_check.data and -d text.
. /tests/lib.sh
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
printf '#!/bin/sh\nexit 0\n' > /tmp/ok.sh; chmod 755 /tmp/ok.sh
echo 1 > /tmp/ckd-track
for conf in checker-dump upstream-vsg; do
  rm -f /tmp/keepalived_check.data
  /opt/keepalived-ref -n -l -d -f /tests/configs/$conf.conf -p /tmp/ref.pid -c /tmp/ref-c.pid -b /tmp/ref-b.pid > /tmp/ref-$conf.log 2>&1 &
  pid=$!; echo $pid >> /tmp/test-pids
  end=$(( $(now) + 30 ))
  until grep -q 'Activating healthchecker' /tmp/ref-$conf.log || [ "$(now)" -ge $end ]; do usleep 200000; done
  sleep 1
  kill -USR1 $pid
  end=$(( $(now) + 10 ))
  until [ -s /tmp/keepalived_check.data ] || [ "$(now)" -ge $end ]; do usleep 200000; done
  sleep 1
  echo "=== $conf keepalived_check.data"; cat /tmp/keepalived_check.data
  kill -TERM $pid; wait_gone $pid 20
  echo "=== $conf log"; cat /tmp/ref-$conf.log
  : > /tmp/test-pids
done
fail "draft"
