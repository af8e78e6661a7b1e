# keepalived 2.2.7's checker and IPVS log sentences (the ones operators grep for) from our check child:
# the same configs/lvs.conf, the same events (start, a real server killed and brought back, stop) on
# Debian's keepalived and on ours, and the same sentences in the same per-server order.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
# Timestamps and "Keepalived_healthcheckers[pid]:" prefixes off; only the sentences we speak.
sentences() {
  sed 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] *[0-9]* [0-9:]* [0-9]*: //' "$1" |
    grep -E '^(Activating healthchecker for service|TCP connection to|Remote Web server|(HTTP status code|MD5 digest|Regex match) success to|(TCP|HTTP|SSL)_CHECK on service|Removing service|Adding service|Disabling service|Enabling service|Lost quorum|Gained quorum|Shutting down)' |
    awk '{ key = $0; sub(/^.*(service|to|server) \[/, "[", key); sub(/[ ].*/, "", key); print key " | " $0 }' | sort -s -t'|' -k1,1
}
run() { # WHO BINARY
  lvs_listeners
  "$2" -n -l -C -G -f /tests/configs/lvs.conf -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  wait_table /tests/configs/lvs.expected 90 > /dev/null || { tail -n 20 "/tmp/$1.log"; fail "$1: table not programmed"; }
  # Every checker has had its first result before the HTTP real server 127.0.0.4:80 is killed.
  end=$(( $(now) + 30 ))
  until [ "$(grep -c -E 'success\.|succeed on service\.|failed\.' "/tmp/$1.log")" -ge 5 ] || [ "$(now)" -ge $end ]; do usleep 200000; done
  kill "$(sed -n 2p /tmp/test-pids)"
  end=$(( $(now) + 20 ))
  until grep -q 'Removing service \[127.0.0.4\]' "/tmp/$1.log" || [ "$(now)" -ge $end ]; do usleep 200000; done
  listen_http 127.0.0.4 80
  end=$(( $(now) + 20 ))
  until grep -q 'Adding service \[127.0.0.4\]' "/tmp/$1.log" || [ "$(now)" -ge $end ]; do usleep 200000; done
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop"
  for p in $(cat /tmp/test-pids); do kill "$p" 2>/dev/null; done
  : > /tmp/test-pids
  sentences "/tmp/$1.log" > "/tmp/$1.sentences"
}
run ref /opt/keepalived-ref
run ours /opt/keepalived
if ! cmp -s /tmp/ref.sentences /tmp/ours.sentences; then
  diff -u /tmp/ref.sentences /tmp/ours.sentences
  fail "our sentences differ from keepalived 2.2.7's"
fi
echo "$(wc -l < /tmp/ours.sentences) sentences as keepalived 2.2.7 logs them"
