# IPVS checker benchmark (bench/ipvs-vm.ts puts this script in the image instead of tests/): Debian's
# keepalived 2.2.7, then ours, against the same listeners; arguments come from ka_bench= on the kernel
# command line (comma-separated guest-bench options). Results go to the console (IPVS-BENCH-RESULT).
. /tests/lib.sh
need_bin /opt/guest-bench "test/vm/guest-bench.ts did not compile"
need_bin /opt/keepalived "src/main.ts did not compile"
need_bin /opt/keepalived-ref "Debian's keepalived (apt-get install keepalived)"
# 10,000 listeners plus the checkers' sockets: far above the default 1024 descriptors.
ulimit -n 200000 || fail "cannot raise the descriptor limit"
args=$(sed -n 's/.*ka_bench=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
# /opt/keepalived-before (bench/ipvs-vm.ts --before=BIN) is a second build of ours, run as "before".
/opt/guest-bench run $args keepalived=/opt/keepalived-ref before=/opt/keepalived-before ours=/opt/keepalived
