# IPVS traffic counters on /metrics: clients open connections through a virtual server, and our
# keepalived_ipvs_* counters (and gen2brain's keepalived_lvs_*) match `ipvsadm -Ln --stats --exact`
# once the traffic has stopped (the kernel's counters then stay put; the check child reads them with a
# report, at most every 5 s).
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
listen_http 127.0.0.2 8080
/opt/keepalived -n -l -C -G -f /tests/configs/metrics.conf -p /tmp/km.pid -c /tmp/km-c.pid > /tmp/km.log 2>&1 &
pid=$!
echo $pid >> /tmp/test-pids
wait_table /tests/configs/metrics.expected 90 || { tail -n 30 /tmp/km.log; fail "table not programmed"; }
# busybox wget crashes in this initramfs (static resolver); nc speaks HTTP/1.0 well enough.
http_get() { printf 'GET %s HTTP/1.0\r\n\r\n' "$3" | nc -w 3 "$1" "$2"; }
echo "first answer: $(http_get 192.0.2.20 80 / 2>&1 | head -n 1)"
i=1
while [ $i -lt 6 ]; do http_get 192.0.2.20 80 / > /dev/null 2>&1; i=$(( i + 1 )); done
# Kernel figures: service line and real server line of the --stats listing. This kernel sums its per-CPU
# counters on its 2 s estimator tick, so the totals are read once that has run.
sleep 3
ipvsadm -Ln --stats --exact > /tmp/stats.txt
want_vs=$(awk '$1 == "TCP" && $2 == "192.0.2.20:80" { print $3, $4, $5, $6, $7 }' /tmp/stats.txt)
want_rs=$(awk '$2 == "127.0.0.2:8080" { print $3, $4, $5, $6, $7 }' /tmp/stats.txt)
echo "kernel: service $want_vs, real server $want_rs"
[ -n "$want_vs" ] && [ "${want_vs%% *}" -ge 1 ] || { cat /tmp/stats.txt; fail "no connection counted by the kernel"; }
metric() { # NAME LABEL-SUBSTRING: the value on /metrics
  grep "^$1{" /tmp/metrics.txt | grep -F "$2" | awk '{ print $2 }'
}
ours() { # the five counters of one family prefix and label
  echo "$(metric "$1_connections_total" "$2") $(metric "$1_in_packets_total" "$2") $(metric "$1_out_packets_total" "$2") $(metric "$1_in_bytes_total" "$2") $(metric "$1_out_bytes_total" "$2")"
}
end=$(( $(now) + 30 ))
while [ "$(now)" -lt $end ]; do
  http_get 127.0.0.1 18791 /metrics > /tmp/metrics.txt || true
  got_vs=$(ours keepalived_ipvs_virtual_server 'virtual_server="[192.0.2.20]:80"')
  [ "$got_vs" = "$want_vs" ] && break
  usleep 500000
done
got_rs=$(ours keepalived_ipvs_real_server 'real_server="[127.0.0.2]:8080"')
g2b_vs="$(metric keepalived_lvs_vip_conn 'addr="192.0.2.20:80"') $(metric keepalived_lvs_vip_in_packets 'addr="192.0.2.20:80"') $(metric keepalived_lvs_vip_out_packets 'addr="192.0.2.20:80"') $(metric keepalived_lvs_vip_in_bytes 'addr="192.0.2.20:80"') $(metric keepalived_lvs_vip_out_bytes 'addr="192.0.2.20:80"')"
echo "ours:   service $got_vs, real server $got_rs; gen2brain names: service $g2b_vs"
ok=1
[ "$got_vs" = "$want_vs" ] || { echo "virtual server counters differ"; ok=0; }
[ "$got_rs" = "$want_rs" ] || { echo "real server counters differ"; ok=0; }
[ "$g2b_vs" = "$want_vs" ] || { echo "gen2brain keepalived_lvs_vip_* differ"; ok=0; }
grep -q '^# TYPE keepalived_ipvs_virtual_server_connections_total counter$' /tmp/metrics.txt || { echo "no counter TYPE line"; ok=0; }
kill -TERM $pid
[ $ok = 1 ] || { grep ipvs /tmp/metrics.txt | head -20; tail -n 20 /tmp/km.log; fail "IPVS counters on /metrics"; }
