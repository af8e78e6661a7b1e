#!/usr/bin/env bash
# Installs what the test suite and the benchmarks need from Debian. Idempotent; fails loudly.
# Real peers for the tests: keepalived 2.2.7 (VRRP peer and -t reference), frr (bfdd), nginx, an SMTP
# server (opensmtpd), a DNS server (dnsmasq), socat (UDP responder), tcpdump/tshark (captures),
# qemu + busybox-static + ipvsadm (the IPVS VM test bed; the Debian kernel is downloaded, not installed).
set -euo pipefail
PKGS=(keepalived frr nginx-light opensmtpd dnsmasq-base socat tcpdump tshark iproute2 ipvsadm strace
      qemu-system-x86 busybox-static cpio kmod openssl procps psmisc xz-utils zstd
      iputils-ping snmpd snmp snmptrapd dbus dbus-bin systemd nftables qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64)
# The arm64 binary runs under qemu user-mode emulation with Debian's arm64 libc.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Services some packages start by default are not wanted: tests start their own instances.
for s in nginx opensmtpd frr dnsmasq snmpd snmptrapd; do
  pkill -x "$s" 2>/dev/null || true
done
for b in keepalived bfdd nginx smtpd dnsmasq socat tcpdump tshark qemu-system-x86_64 ipvsadm busybox snmpd snmpwalk snmptrapd dbus-daemon dbus-monitor busctl nft qemu-aarch64-static ping; do
  command -v "$b" >/dev/null || [ -x "/usr/lib/frr/$b" ] || [ -x "/usr/sbin/$b" ] || [ -x "/bin/$b" ] || {
    echo "install-test-deps: $b is still missing after installation" >&2; exit 1; }
done
echo "test dependencies present"
