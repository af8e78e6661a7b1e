#!/bin/sh
# /init of the IPVS test VM (busybox ash). Mounts the pseudo file systems, loads the ip_vs modules in the
# order build.ts wrote, puts TEST-NET addresses on lo, then runs every /tests/NN-*.sh in name order, each
# with a time limit. Protocol on the serial console, read by test/vm/run.ts:
#   VM-BOOTED <uptime s>        init started
#   VMTEST-BEGIN <name>         a test starts; its output follows when it ends, each line prefixed "  | "
#   VMTEST PASS <name> <s>      exit 0     /   VMTEST FAIL <name> <reason>
#   VM-DONE <uptime s>          all tests ran; the VM powers off
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /dev/pts /dev/shm && mount -t devpts pts /dev/pts && mount -t tmpfs shm /dev/shm
up() { cut -d' ' -f1 /proc/uptime; }
echo "VM-BOOTED $(up)"
# Guest-side deadline (ka_vm_timeout= on the kernel command line): the VM powers itself off even if
# the host runner died without killing qemu.
limit=$(sed -n 's/.*ka_vm_timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$limit" ] && { sleep "$limit"; echo "VM-WARN guest deadline of $limit s reached"; poweroff -f; } &

# Per-test limit (s): ka_vm_test_timeout= on the command line (the benchmark needs minutes), else 180.
test_limit=$(sed -n 's/.*ka_vm_test_timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
test_limit=${test_limit:-180}

rel=$(uname -r)
for m in $(cat "/lib/modules/$rel/load-order"); do
  insmod "/lib/modules/$rel/$m" 2>/tmp/insmod.err || echo "VM-WARN insmod $m: $(cat /tmp/insmod.err)"
done
ip link set lo up
# Service addresses: 192.0.2.0/24 is local on lo (any address answers), plus 192.0.2.1 itself.
ip addr add 192.0.2.1/24 dev lo
ip route add local 192.0.2.0/24 dev lo table local 2>/dev/null
hostname ipvs-vm

ipvsadm -Ln >/dev/null 2>&1 || echo "VM-WARN ipvsadm cannot read the IPVS table"
for t in /tests/[0-9]*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  echo "VMTEST-BEGIN $name"
  t0=$(up)
  : > /tmp/test-pids
  # Output goes to a file, not a pipe: a listener the test leaves in the background would hold a pipe open.
  (cd /tmp && exec timeout "$test_limit" sh "$t") > /tmp/test.out 2>&1 < /dev/null
  rc=$?
  sed 's/^/  | /' /tmp/test.out
  t1=$(up)
  secs=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
  if [ "$rc" = 0 ]; then echo "VMTEST PASS $name ${secs}s"; else echo "VMTEST FAIL $name exit $rc after ${secs}s"; fi
  # Whatever the test left behind: its listeners (by pid) and the IPVS table.
  for p in $(cat /tmp/test-pids); do kill "$p" 2>/dev/null; done
  ipvsadm -C 2>/dev/null
done
echo "VM-DONE $(up)"
sync
poweroff -f
