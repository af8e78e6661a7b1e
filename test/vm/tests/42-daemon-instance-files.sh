# instance, data_use_instance and config_save_dir with the checker child, beside keepalived 2.2.7 (the
# host has no IPVS, so test/netns/config-instance-files.test.ts and config-save-dir.test.ts cover the
# VRRP and BFD children only): the pid files in /run/keepalived, the USR1 data file names, and what
# config_save_dir holds after a reload (pids replaced by P) must be the same under both daemons.
. /tests/lib.sh
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
need_bin /opt/keepalived "src/main.ts did not compile"
listen_http 127.0.0.2 8080
conf() {
  cat <<EOF
instance kmi
global_defs {
  data_use_instance
  config_save_dir $1
}
virtual_server 192.0.2.10 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.2 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
EOF
}
# wait_for SECS CMD...: polls CMD until it succeeds, up to SECS.
wait_for() {
  end=$(( $(now) + $1 )); shift
  while [ "$(now)" -lt $end ]; do "$@" && return 0; usleep 200000; done
  return 1
}
has_checker_pid() { ls /run/keepalived 2>/dev/null | grep -q checkers; }
two_data() { [ "$(ls /tmp | grep -c '\.data$')" -ge 2 ]; }
has_post() { ls "$1" 2>/dev/null | grep -q '\.post$'; }
has_service() { ipvs_table | grep -q 192.0.2.10:80; }
run() {
  d=/tmp/if-$2
  mkdir -p $d
  conf $d/save > $d/k.conf
  $1 -n -l -C -G -f $d/k.conf > $d/log 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  wait_for 60 has_checker_pid || echo "$2: no checkers pid file in /run/keepalived"
  wait_for 60 has_service || echo "$2: the virtual server was not programmed"
  # NAME.ctl is our control socket's directory (docs/control.md), beside the pid files; keepalived has none.
  ls /run/keepalived | grep -v '\.ctl$' | sort > $d/pids
  rm -f /tmp/*.data
  kill -USR1 $pid
  wait_for 20 two_data || echo "$2: fewer than two data files after USR1"
  sleep 1
  ls /tmp | grep '\.data$' | sort > $d/data
  rm -f /tmp/*.data
  kill -HUP $pid
  wait_for 60 has_post $d/save || echo "$2: no .post dump after the reload"
  sleep 1
  ls $d/save | sed -r 's/\.[0-9]+\.([0-9]+)/.P.\1/' | sort > $d/save.txt
  kill -TERM $pid
  wait_gone $pid 20 || echo "$2: did not exit on SIGTERM"
  wait_empty 10 || echo "$2: left services behind"
  ls /run/keepalived 2>/dev/null > $d/after
}
run /opt/keepalived-ref ref
run /opt/keepalived ours
ok=1
for f in pids data save.txt after; do
  echo "--- $f (keepalived 2.2.7)"; cat /tmp/if-ref/$f
  if ! diff /tmp/if-ref/$f /tmp/if-ours/$f; then echo "--- $f differs"; ok=0; fi
done
[ -s /tmp/if-ref/pids ] || { echo "keepalived 2.2.7 wrote no pid files in /run/keepalived"; ok=0; }
[ $ok = 1 ] || { echo "--- ours log"; tail -n 30 /tmp/if-ours/log; echo "--- keepalived log"; tail -n 30 /tmp/if-ref/log; fail "instance files"; }
