/**
 * Builds the IPVS VM test bed under test/vm/work/ (gitignored):
 *  - Debian's kernel: `apt-get download linux-image-amd64` and the versioned image package it depends on,
 *    unpacked with `dpkg-deb -x` (never installed on the host), modules.dep made with `depmod -b`;
 *    cached in work/kernel-<version>/.
 *  - an initramfs (cpio newc, gzip) with busybox-static and its applet links, ipvsadm and nft with their
 *    shared libraries, the ip_vs and nf_tables modules in load order, /init, the tests, and our binaries when present
 *    (dist/keepalived, work/guest-ipvs) with the glibc libraries `ldd` names for them.
 *   bun test/vm/build.ts            -> prints the kernel and initramfs paths (work/run-XXXX/)
 * Every missing piece (apt, busybox, ipvsadm, nft, cpio) is an error that names it: the VM stage never skips.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Repository root. */
export const ROOT = join(import.meta.dir, "..", "..");
/** Work directory for downloads and generated images. */
export const WORK = join(import.meta.dir, "work");
/** Modules inserted in the guest (their dependencies come first, from modprobe --show-depends). */
export const GUEST_MODULES = [
  "ip_vs",
  "ip_vs_rr",
  "ip_vs_wrr",
  "ip_vs_wlc",
  "ip_vs_lc",
  "ip_vs_sh",
  "ip_vs_mh",
  "ip_vs_dh",
  "ip_vs_sed",
  "ip_vs_nq",
  // use_ipvlan (test 38): an ipvlan needs a parent that is not loopback; dummy makes dummy0 at load.
  "dummy",
  "ipvlan",
  // nftables_ipvs (test 39): keepalived's fwmark maps; counters, lookups and set types are in nf_tables itself.
  "nf_tables",
];

/** Where the unpacked kernel lives. */
export interface KernelTree {
  /** e.g. "6.1.0-56-amd64". */
  release: string;
  /** Unpacked package root. */
  dir: string;
  vmlinuz: string;
}

/** Runs a command; throws with its output when it fails. */
export function sh(cmd: string[], cwd = ROOT): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) {
    throw new Error(
      `${cmd.join(" ")} failed (exit ${p.exitCode}): ${p.stderr.toString().trim() || p.stdout.toString().trim()}`,
    );
  }
  return p.stdout.toString();
}

/** Path of a required host program, or an error naming the Debian package that has it. */
export function need(prog: string, pkg: string): string {
  for (const d of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    if (existsSync(join(d, prog))) return join(d, prog);
  }
  throw new Error(`VM test bed: ${prog} is missing on the host (apt-get install ${pkg})`);
}

/** The versioned kernel image package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64. */
function imagePackage(): string {
  let out = "";
  try {
    out = sh(["apt-cache", "depends", "linux-image-amd64"]);
  } catch {
    sh(["apt-get", "update", "-qq"]);
    out = sh(["apt-cache", "depends", "linux-image-amd64"]);
  }
  const m = /Depends:\s*(linux-image-\d[\w.+-]*-amd64)\s*$/m.exec(out);
  if (!m) {
    throw new Error(
      `VM test bed: no linux-image-<version>-amd64 dependency in 'apt-cache depends linux-image-amd64':\n${out}`,
    );
  }
  return m[1]!;
}

/** A kernel already unpacked under work/, if any (the newest). */
function cachedKernel(): KernelTree | null {
  if (!existsSync(WORK)) return null;
  const dirs = readdirSync(WORK).filter((d) => d.startsWith("kernel-") && existsSync(join(WORK, d, ".complete"))).sort();
  const d = dirs.at(-1);
  if (!d) return null;
  const release = d.slice("kernel-".length);
  return { release, dir: join(WORK, d), vmlinuz: join(WORK, d, "boot", `vmlinuz-${release}`) };
}

/** Downloads and unpacks Debian's kernel once; later calls reuse work/kernel-<release>/. */
export function ensureKernel(): KernelTree {
  const cached = cachedKernel();
  if (cached && process.env.KA_VM_REFRESH_KERNEL !== "1") return cached;
  need("apt-get", "apt");
  need("dpkg-deb", "dpkg");
  need("depmod", "kmod");
  const pkg = imagePackage();
  const release = pkg.slice("linux-image-".length);
  // Per-process download and unpack directories, renamed into place: concurrent runs never see half a tree.
  const debs = join(WORK, `debs-${process.pid}`);
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  sh(["apt-get", "download", "linux-image-amd64", pkg], debs);
  const deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (!deb) throw new Error(`VM test bed: apt-get download ${pkg} left no .deb in ${debs}`);
  const dir = join(WORK, `kernel-${release}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  sh(["dpkg-deb", "-x", join(debs, deb), tmp]);
  sh(["depmod", "-b", tmp, release]);
  if (!existsSync(join(tmp, "boot", `vmlinuz-${release}`))) {
    throw new Error(`VM test bed: ${pkg} has no boot/vmlinuz-${release}`);
  }
  writeFileSync(join(tmp, ".complete"), `${pkg}\n`);
  rmSync(debs, { recursive: true, force: true }); // the unpacked tree is the cache
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { release, dir, vmlinuz: join(dir, "boot", `vmlinuz-${release}`) };
}

/** Module files in load order for `names`, as paths inside the unpacked tree. */
export function moduleOrder(k: KernelTree, names: string[]): string[] {
  const out = sh(["modprobe", "-d", k.dir, "-S", k.release, "--show-depends", "-a", ...names]);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const line of out.split("\n")) {
    const m = /^insmod\s+(\S+)/.exec(line);
    if (m && !seen.has(m[1]!)) {
      seen.add(m[1]!);
      order.push(m[1]!);
    }
  }
  if (order.length === 0) {
    throw new Error(`VM test bed: modprobe found no modules for ${names.join(", ")} in ${k.dir}`);
  }
  return order;
}

/** Shared libraries `ldd` lists for an executable (absolute paths, loader included). */
export function sharedLibs(exe: string): string[] {
  const out = sh(["ldd", exe]);
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/** Copies `src` to `root` + `dest` (default: the same path), creating directories. */
function put(root: string, src: string, dest = src, mode?: number): void {
  const to = join(root, dest);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(src, to);
  if (mode !== undefined) chmodSync(to, mode);
}

/** Copies an executable and its libraries (also under /lib64 and /lib/x86_64-linux-gnu as ldd names them). */
function putExe(root: string, exe: string, dest: string): void {
  put(root, exe, dest, 0o755);
  for (const lib of sharedLibs(exe)) if (!existsSync(join(root, lib))) put(root, lib, lib, 0o755);
}

/** The daemon to test: KA_VM_DAEMON=dist for dist/keepalived, =/abs/path for any build, else the run's own. */
function daemonBinary(runDir: string): string {
  const env = process.env.KA_VM_DAEMON;
  if (env === "dist") return join(ROOT, "dist", "keepalived");
  if (env?.startsWith("/")) return env;
  return join(runDir, "keepalived");
}

/**
 * Optional binaries, copied when they exist: our daemon (compiled by compile.ts into the run directory
 * from the current source, or see daemonBinary), the reconciler probe, and Debian's keepalived 2.2.7,
 * the reference the whole-daemon test is checked against.
 */
export function optionalBinaries(runDir: string): { src: string; dest: string }[] {
  return [
    { src: daemonBinary(runDir), dest: "/opt/keepalived" },
    { src: join(runDir, "guest-ipvs"), dest: "/opt/guest-ipvs" },
    { src: join(runDir, "guest-bench"), dest: "/opt/guest-bench" },
    { src: join(runDir, "keepalived-before"), dest: "/opt/keepalived-before" },
    { src: "/usr/sbin/keepalived", dest: "/opt/keepalived-ref" },
  ];
}

/** What went into an initramfs. */
export interface Initramfs {
  path: string;
  modules: string[];
  binaries: string[];
  bytes: number;
}

/** Lays out the guest file tree in `root`; `scripts` replaces test/vm/tests/ when given. */
function stage(
  k: KernelTree,
  root: string,
  runDir: string,
  scripts?: string[],
): { modules: string[]; binaries: string[] } {
  const busybox = need("busybox", "busybox-static");
  if (Bun.spawnSync(["ldd", busybox], { stdout: "pipe", stderr: "pipe" }).exitCode === 0) {
    throw new Error(`VM test bed: ${busybox} is dynamically linked (apt-get install busybox-static)`);
  }
  for (
    const d of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/sbin",
      "proc",
      "sys",
      "dev",
      "tmp",
      "run",
      "etc",
      "root",
      "var/run",
      "lib64",
    ]
  ) {
    mkdirSync(join(root, d), { recursive: true });
  }
  put(root, busybox, "/bin/busybox", 0o755);
  for (const applet of sh([busybox, "--list-full"]).split("\n").filter(Boolean)) {
    if (applet === "bin/busybox" || existsSync(join(root, applet))) continue;
    mkdirSync(dirname(join(root, applet)), { recursive: true });
    symlinkSync("/bin/busybox", join(root, applet));
  }
  putExe(root, need("ipvsadm", "ipvsadm"), "/usr/sbin/ipvsadm");
  putExe(root, need("nft", "nftables"), "/usr/sbin/nft");
  const mods = moduleOrder(k, GUEST_MODULES);
  const modDir = `/lib/modules/${k.release}`;
  for (const m of mods) put(root, m, join(modDir, basename(m)));
  writeFileSync(join(root, modDir, "load-order"), mods.map((m) => basename(m)).join("\n") + "\n");
  const binaries: string[] = [];
  for (const b of optionalBinaries(runDir)) {
    if (existsSync(`${b.src}.build-error`)) put(root, `${b.src}.build-error`, `${b.dest}.build-error`);
    if (!existsSync(b.src)) continue;
    putExe(root, b.src, b.dest);
    binaries.push(b.dest);
  }
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  put(root, join(import.meta.dir, "guest", "init.sh"), "/init", 0o755);
  put(root, join(import.meta.dir, "guest", "lib.sh"), "/tests/lib.sh", 0o644);
  // keepalived refuses an executable configuration file: tests 0755, configs 0644.
  const configs = join(import.meta.dir, "configs");
  for (const f of readdirSync(configs).sort()) put(root, join(configs, f), `/tests/configs/${f}`, 0o644);
  const tests = join(import.meta.dir, "tests");
  for (const src of scripts ?? readdirSync(tests).sort().map((f) => join(tests, f))) {
    put(root, src, `/tests/${basename(src)}`, 0o755);
  }
  return { modules: mods.map((m) => basename(m)), binaries };
}

/** A fresh directory for one run's binaries and image (concurrent runs share only the kernel cache). */
export function makeRunDir(): string {
  mkdirSync(WORK, { recursive: true });
  // Leftovers of runs that were killed: anything older than an hour.
  for (const d of readdirSync(WORK)) {
    const p = join(WORK, d);
    if (/^(run|debs)-/.test(d) && Date.now() - statSync(p).mtimeMs > 3_600_000) {
      rmSync(p, { recursive: true, force: true });
    }
  }
  return mkdtempSync(join(WORK, "run-"));
}

/**
 * Builds RUNDIR/initramfs.cpio.gz from the current tests and binaries. `only` limits the test scripts;
 * `scripts` (absolute paths named NN-*.sh) replaces them (the benchmark runs its own script).
 */
export function buildInitramfs(k: KernelTree, runDir: string, only?: string, scripts?: string[]): Initramfs {
  need("cpio", "cpio");
  need("gzip", "gzip");
  const root = join(runDir, "root");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const { modules, binaries } = stage(k, root, runDir, scripts);
  if (only) {
    for (const f of readdirSync(join(root, "tests"))) {
      if (/^\d+-.*\.sh$/.test(f) && !f.includes(only)) rmSync(join(root, "tests", f));
    }
  }
  // gzip by default; KA_VM_INITRD=cpio leaves it uncompressed (the kernel takes both; see run.ts timings).
  const gz = process.env.KA_VM_INITRD !== "cpio";
  const path = join(runDir, gz ? "initramfs.cpio.gz" : "initramfs.cpio");
  const pipe = gz ? `| gzip -1 > '${path}'` : `> '${path}'`;
  const p = Bun.spawnSync(["sh", "-c", `find . -print0 | cpio --null -o -H newc --quiet ${pipe}`], {
    cwd: root,
    stderr: "pipe",
  });
  if (p.exitCode !== 0) throw new Error(`VM test bed: cpio/gzip failed: ${p.stderr.toString()}`);
  rmSync(root, { recursive: true, force: true });
  return { path, modules, binaries, bytes: statSync(path).size };
}

if (import.meta.main) {
  const k = ensureKernel();
  const img = buildInitramfs(k, makeRunDir());
  console.log(`kernel ${k.release}: ${k.vmlinuz}`);
  console.log(
    `initramfs ${img.path}: ${(img.bytes / 1048576).toFixed(1)} MiB; modules ${img.modules.join(" ")}; binaries ${img.binaries.join(" ") || "(none)"}`,
  );
}
