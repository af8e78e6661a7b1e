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

# Seconds since boot (whole seconds), for deadlines: a poll loop counts time, not rounds (TCG is slow).
now() { cut -d. -f1 /proc/uptime; }

# Polls `expect_table $1` for up to $2 seconds (default 30).
wait_table() {
  end=$(( $(now) + ${2:-30} ))
  while [ "$(now)" -lt $end ]; do
    expect_table "$1" >/dev/null 2>&1 && return 0
    usleep 200000
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

# Starts the listeners test/vm/configs/lvs.conf expects.
lvs_listeners() {
  listen_http 127.0.0.2 8080
  listen_http 127.0.0.4 80
  listen_http 127.0.0.5 8080
}

# Polls until the IPVS table is empty (daemon stopped and released its services), up to $1 s (default 20).
wait_empty() {
  end=$(( $(now) + ${1:-20} ))
  while [ "$(now)" -lt $end ]; do
    [ -z "$(ipvs_table)" ] && return 0
    usleep 200000
  done
  return 1
}

# Polls until pid $1 has exited, up to $2 s (default 20).
wait_gone() {
  end=$(( $(now) + ${2:-20} ))
  while [ "$(now)" -lt $end ]; do
    kill -0 "$1" 2>/dev/null || return 0
    usleep 200000
  done
  return 1
}

# `nft -j list ruleset` without handles and metainfo, one object a line (two daemons' rulesets compare equal).
nft_ruleset() {
  nft -j list ruleset | sed -E 's/"handle": [0-9]+, //g; s/, "handle": [0-9]+//g; s/\{"metainfo": \{[^}]*\}\}, //; s/\}\}, \{"/}}\n{"/g'
}

# Polls until `nft list ruleset` holds every one of the words after $1 (seconds).
wait_nft() {
  secs=$1; shift
  end=$(( $(now) + secs ))
  while [ "$(now)" -lt $end ]; do
    all=1
    rs=$(nft list ruleset)
    for w in "$@"; do case "$rs" in *"$w"*) ;; *) all=0 ;; esac; done
    [ $all = 1 ] && return 0
    usleep 200000
  done
  return 1
}
