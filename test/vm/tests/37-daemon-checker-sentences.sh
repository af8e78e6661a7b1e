# keepalived 2.2.7's sentences for PING_CHECK, MISC_CHECK, UDP_CHECK and DNS_CHECK from our check child: the same
# configs/checkers.conf and the same events (start, a failing MISC script made to pass, stop) on Debian's
# keepalived and on ours, and the same sentences in the same per-server order.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
sentences() {
  sed 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] *[0-9]* [0-9:]* [0-9]*: //' "$1" |
    grep -E '^(Activating healthchecker for service|UDP connection to|ICMP connection to|(UDP_CHECK|ICMP CHECK) on service|DNS_CHECK \(|Misc check for|Removing service|Adding service|Shutting down)' |
    awk '{ key = "?"; if (match($0, /\[[0-9.]+\]/)) key = substr($0, RSTART, RLENGTH); print key " | " $0 }' | sort -s -t'|' -k1,1
}
run() { # WHO BINARY
  printf '#!/bin/sh\nexit 0\n' > /tmp/ok.sh
  printf '#!/bin/sh\nexit 1\n' > /tmp/bad.sh
  chmod 755 /tmp/ok.sh /tmp/bad.sh
  "$2" -n -l -C -G -f /tests/configs/checkers.conf -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  # Every real server has had its first result (six of them).
  end=$(( $(now) + 40 ))
  until [ "$(grep -c -E 'success\.|succeeded\.|failed|timed out' "/tmp/$1.log")" -ge 6 ] || [ "$(now)" -ge $end ]; do usleep 200000; done
  printf '#!/bin/sh\nexit 0\n' > /tmp/bad.sh
  end=$(( $(now) + 20 ))
  until grep -q 'Adding service \[127.0.0.9\]' "/tmp/$1.log" || [ "$(now)" -ge $end ]; do usleep 200000; done
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop"
  : > /tmp/test-pids
  sentences "/tmp/$1.log" > "/tmp/$1.sentences"
}
run ref /opt/keepalived-ref
run ours /opt/keepalived
echo "--- keepalived 2.2.7:"; cat /tmp/ref.sentences
grep -q "DNS_CHECK (\[127.0.0.11\]" /tmp/ref.sentences || fail "keepalived 2.2.7 logged no DNS_CHECK sentence"
if ! cmp -s /tmp/ref.sentences /tmp/ours.sentences; then
  diff -u /tmp/ref.sentences /tmp/ours.sentences
  fail "our sentences differ from keepalived 2.2.7's"
fi
echo "$(wc -l < /tmp/ours.sentences) sentences as keepalived 2.2.7 logs them"
