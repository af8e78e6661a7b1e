# nftables_ipvs with a table name, nftables_ipvs_priority, nftables_ipvs_start_fwmark and nftables_counters
# (configs/nftables-ipvs-2.conf): keepalived 2.2.7 and ours make the same IPVS table and the same ruleset
# (`nft -j list ruleset` without handles), and remove both on SIGTERM.
. /tests/lib.sh
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
command -v nft > /dev/null || fail "nft is not in the initramfs (test/vm/build.ts)"
C=/tests/configs
listen_http 127.0.0.2 8080

run() { # WHO BINARY SECS-TO-START
  "$2" -n -l -C -G -f $C/nftables-ipvs-2.conf -p "/tmp/$1.pid" -c "/tmp/$1-c.pid" > "/tmp/$1.log" 2>&1 &
  pid=$!
  echo $pid >> /tmp/test-pids
  wait_table $C/nftables-ipvs-2.expected "$3" || { tail -n 30 "/tmp/$1.log"; fail "$1: IPVS table"; }
  nft_ruleset > "/tmp/$1.nft"
  [ "$1" = ours ] && nft list ruleset
  kill -TERM $pid
  wait_gone $pid 20 || fail "$1 did not stop on SIGTERM"
  [ -z "$(nft list ruleset)" ] || { nft list ruleset; fail "$1 left its nftables tables after SIGTERM"; }
  wait_empty 10 || { ipvs_table; fail "$1 left IPVS services after SIGTERM"; }
}
run ref /opt/keepalived-ref 30
run ours /opt/keepalived 90
if ! cmp -s /tmp/ref.nft /tmp/ours.nft; then
  echo "ruleset differs (- keepalived 2.2.7, + ours):"
  diff -u /tmp/ref.nft /tmp/ours.nft
  fail "nftables rulesets differ"
fi
grep -q '"counter"' /tmp/ours.nft || fail "no counters in the ruleset"
grep -q '"prio": -50' /tmp/ours.nft && grep -q '"kaipvs"' /tmp/ours.nft || fail "not the configured table and priority"
echo "same IPVS table and ruleset as keepalived 2.2.7 ($(wc -l < /tmp/ours.nft) objects, table kaipvs, priority -50, fwmarks from 2000, counters)"
