# The checker child's dump beside keepalived 2.2.7 (docs/dumps.md): the same configs (an upstream sample with
# a virtual_server_group, configs/checker-dump.conf with every checker type, checker-dump2.conf with the fields
# the first leaves at their defaults), SIGUSR1 until every checker
# has run and the state has settled, then keepalived_check.data compared line by line, and the checker's `-d`
# text from the log compared as a multiset (keepalived's children log it at the same time, interleaved).
# Allowed differences, and nothing else: MISC_CHECK `Last ran` timestamps; our own sections after keepalived's.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
printf '#!/bin/sh\nexit 0\n' > /tmp/ok.sh
printf '#!/bin/sh\nexit 1\n' > /tmp/bad.sh
chmod 755 /tmp/ok.sh /tmp/bad.sh
echo 1 > /tmp/ckd-track
normalize() { # keepalived_check.data -> comparable text
  sed -e '/^------< Checker results >------$/,$d' -e 's/^\(   Last ran = \).*/\1(time)/' "$1"
}
dump_lines() { # log -> the -d lines (dump lines start with a blank or "------<"), sorted
  sed 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] *[0-9]* [0-9:]* [0-9]*: //' "$1" | grep -E '^( |------<)' | grep -v "^  *'" |
    sed -e 's/^\(   Last ran = \).*/\1(time)/' | sort
}
settled() { # FILE CONF: every checker has run; for the upstream sample both real servers are down
  [ -s "$1" ] || return 1
  grep -q 'Has run = no' "$1" && return 1
  [ "$2" = upstream-vsg ] && [ "$(grep -c '^   alive = 0' "$1")" -lt 2 ] && return 1
  return 0
}
run() { # WHO BINARY CONF
  rm -f /tmp/keepalived_check.data
  "$2" -n -l -d -f "/tests/configs/$3.conf" -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" -b "/tmp/$1-b.pid" > "/tmp/$1-$3.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  # A USR1 before the handlers are in place would end the process: first the checkers' start.
  end=$(( $(now) + 30 ))
  until grep -q 'Activating healthchecker' "/tmp/$1-$3.log" || [ "$(now)" -ge $end ]; do usleep 200000; done
  usleep 500000
  end=$(( $(now) + 60 ))
  prev=
  while [ "$(now)" -lt $end ]; do
    kill -USR1 $pid 2>/dev/null || break
    usleep 700000
    if settled /tmp/keepalived_check.data "$3"; then
      cur=$(normalize /tmp/keepalived_check.data)
      [ -n "$prev" ] && [ "$cur" = "$prev" ] && break
      prev=$cur
    fi
  done
  normalize /tmp/keepalived_check.data > "/tmp/$1-$3.data"
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop"
  dump_lines "/tmp/$1-$3.log" > "/tmp/$1-$3.d"
  settled /tmp/keepalived_check.data "$3" || { tail -n 30 "/tmp/$1-$3.log"; fail "$1 $3: the checkers did not settle"; }
}
bad=0
listen_http 127.0.0.2 8080
for conf in upstream-vsg checker-dump checker-dump2; do
  run ref /opt/keepalived-ref $conf
  run ours /opt/keepalived $conf
  if ! cmp -s /tmp/ref-$conf.data /tmp/ours-$conf.data; then
    echo "--- $conf: keepalived_check.data differs (keepalived 2.2.7 -, ours +)"
    diff -u /tmp/ref-$conf.data /tmp/ours-$conf.data
    bad=1
  fi
  if ! cmp -s /tmp/ref-$conf.d /tmp/ours-$conf.d; then
    echo "--- $conf: -d lines differ (sorted; keepalived 2.2.7 -, ours +)"
    diff -u /tmp/ref-$conf.d /tmp/ours-$conf.d
    bad=1
  fi
  echo "$conf: keepalived_check.data $(wc -l < /tmp/ours-$conf.data) lines, -d $(wc -l < /tmp/ours-$conf.d) lines"
done
[ $bad = 0 ] || fail "our checker dump differs from keepalived 2.2.7's"
