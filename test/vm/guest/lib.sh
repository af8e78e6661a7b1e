# Helpers for VM tests (sourced: `. /tests/lib.sh`). busybox ash.

# Stops the test with a reason.
fail() { echo "FAIL: $*"; exit 1; }

# The IPVS table as sorted lines "SERVICE | DEST FORWARD WEIGHT" (no counters, whitespace squeezed);
# a service without destinations is one line "SERVICE | -".
ipvs_table() {
  ipvsadm -Ln | awk '
    NR <= 3 { next }
    /^  ->/ { print svc " | " $2 " " $3 " " $4; seen = 1; next }
    { if (svc != "" && !seen) print svc " | -"; $1 = $1; svc = $0; seen = 0 }
    END { if (svc != "" && !seen) print svc " | -" }
  ' | sort
}

# Compares ipvs_table with the expected lines in file $1 (same format, any order); prints a diff.
expect_table() {
  sort "$1" | grep -v '^#' | grep -v '^$' > /tmp/expected.txt
  ipvs_table > /tmp/actual.txt
  if ! cmp -s /tmp/expected.txt /tmp/actual.txt; then
    echo "IPVS table differs from $1:"
    diff -u /tmp/expected.txt /tmp/actual.txt
    return 1
  fi
  return 0
}

# Polls `expect_table $1` for up to $2 seconds (default 30).
wait_table() {
  i=0
  lim=$(( ${2:-30} * 5 ))
  while [ $i -lt $lim ]; do
    expect_table "$1" >/dev/null 2>&1 && return 0
    usleep 200000
    i=$((i + 1))
  done
  expect_table "$1"
}

# Starts an HTTP real server on ADDR:PORT (busybox httpd, answers GET / with "ok"); killed after the test.
listen_http() {
  mkdir -p /tmp/www
  echo ok > /tmp/www/index.html
  httpd -f -p "$1:$2" -h /tmp/www &
  echo $! >> /tmp/test-pids
}

# Starts a background command whose pid the runner kills after the test.
background() {
  "$@" &
  echo $! >> /tmp/test-pids
}

# Requires an optional binary; a missing one fails the test with a reason (never a skip).
need_bin() {
  [ -x "$1" ] && return 0
  [ -f "$1.build-error" ] && head -n 20 "$1.build-error"
  fail "$1 is not in the initramfs ($2)"
}
