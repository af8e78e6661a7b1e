# nftables_ipvs: keepalived 2.2.7 and ours on configs/nftables-ipvs.conf (virtual server groups with an
# IPv4 range, IPv6 addresses, both families, and one with a fwmark entry) make the same IPVS table and the
# same nftables ruleset (`nft -j list ruleset` without handles), the same again after a reload that
# swaps a group entry and adds a group, and both remove their tables and services on SIGTERM. Ours also
# keeps fwmarks, ruleset and services across a kill -9 of its check child.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
command -v nft > /dev/null || fail "nft is not in the initramfs (test/vm/build.ts)"
C=/tests/configs
listen_http 127.0.0.2 8080

# Ours only: kill -9 the check child; the one the parent starts again reads the maps it finds, so the
# groups keep their fwmarks (g7 1004, not the 1000 a fresh count gives it), the ruleset is as it was and
# the IPVS services are adopted, not re-created.
restart_child() {
  [ -s /tmp/ours-c.pid ] || fail "ours: no check child pid file"
  n=$(grep -c "Loaded configuration" /tmp/ours.log)
  kill -KILL "$(cat /tmp/ours-c.pid)"
  end=$(( $(now) + 90 ))
  until [ "$(grep -c 'Loaded configuration' /tmp/ours.log)" -gt "$n" ]; do
    [ "$(now)" -lt $end ] || { tail -n 20 /tmp/ours.log; fail "ours: the check child was not started again"; }
    usleep 300000
  done
  wait_table $C/nftables-ipvs-reload.expected 30 || { tail -n 30 /tmp/ours.log; fail "ours: IPVS table after the check child's restart"; }
  nft_ruleset > /tmp/ours-restart.nft
  cmp -s /tmp/ours-reload.nft /tmp/ours-restart.nft || { diff -u /tmp/ours-reload.nft /tmp/ours-restart.nft; fail "ours: ruleset changed across a check child restart"; }
  if awk -v n="$n" '/Loaded configuration/ { c++ } c > n' /tmp/ours.log | grep -E "IPVS (addService|delService)"; then
    fail "ours: services re-created after the check child's restart"
  fi
  echo "check child killed and started again: same fwmarks, ruleset and services"
}

run() { # WHO BINARY SECS-TO-START
  cp $C/nftables-ipvs.conf "/tmp/$1.conf"
  "$2" -n -l -C -G -f "/tmp/$1.conf" -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  wait_table $C/nftables-ipvs.expected "$3" || { tail -n 30 "/tmp/$1.log"; fail "$1: IPVS table at start"; }
  # keepalived writes a group's map elements before its fwmark service: the ruleset is complete now.
  nft_ruleset > "/tmp/$1-start.nft"
  cp $C/nftables-ipvs-reload.conf "/tmp/$1.conf"
  kill -HUP $pid
  wait_table $C/nftables-ipvs-reload.expected 60 || { tail -n 30 "/tmp/$1.log"; fail "$1: IPVS table after reload"; }
  wait_nft 20 192.0.2.31 192.0.2.60 || { nft list ruleset; fail "$1: maps after reload"; }
  nft_ruleset > "/tmp/$1-reload.nft"
  [ "$1" = ours ] && restart_child
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop on SIGTERM"
  [ -z "$(nft list ruleset)" ] || { nft list ruleset; fail "$1 left its nftables tables after SIGTERM"; }
  wait_empty 10 || { ipvs_table; fail "$1 left IPVS services after SIGTERM"; }
}
run ref /opt/keepalived-ref 30
# test/netns/check-nftables-ipvs.test.ts holds ours against this measured ruleset on a kernel without IPVS.
cmp -s /tmp/ref-start.nft $C/nftables-ipvs.ruleset || { diff -u $C/nftables-ipvs.ruleset /tmp/ref-start.nft; fail "keepalived 2.2.7's ruleset is not configs/nftables-ipvs.ruleset any more"; }
run ours /opt/keepalived 90
ok=1
for p in start reload; do
  cmp -s "/tmp/ref-$p.nft" "/tmp/ours-$p.nft" && continue
  echo "ruleset at $p differs (- keepalived 2.2.7, + ours):"
  diff -u "/tmp/ref-$p.nft" "/tmp/ours-$p.nft"
  ok=0
done
[ $ok = 1 ] || { tail -n 30 /tmp/ours.log; fail "nftables rulesets differ"; }
grep -q '"tcp_map"' /tmp/ours-start.nft && grep -q '"udp_map"' /tmp/ours-start.nft || fail "no maps in the ruleset"
grep -q '192.0.2.31' /tmp/ours-reload.nft && ! grep -q '192.0.2.30"' /tmp/ours-reload.nft || fail "the reload did not swap the entry"
cat /tmp/ours-reload.nft
echo "same IPVS table and ruleset as keepalived 2.2.7 at start ($(wc -l < /tmp/ours-start.nft) objects) and after reload ($(wc -l < /tmp/ours-reload.nft))"
