/**
 * Boots the IPVS VM once: `qemu-system-x86_64 -accel tcg` with Debian's kernel and a run's initramfs,
 * hands every serial console line (without CR) to the caller, and kills qemu by pid after the timeout
 * or when this process is interrupted. Shared by test/vm/run.ts (the tests) and bench/ipvs-vm.ts.
 */
import type { KernelTree } from "./build.ts";

/** How to boot. */
export interface BootOptions {
  qemu: string;
  kernel: KernelTree;
  /** Path of the initramfs (cpio, optionally gzip'd). */
  initrd: string;
  /** qemu's working directory (the run directory). */
  cwd: string;
  /** Virtual CPUs (-smp). */
  smp: string;
  /** Guest memory, MiB. */
  memMiB: number;
  /** qemu is killed after this many seconds; the guest powers itself off 30 s later in any case. */
  timeoutS: number;
  /** Extra kernel command line words (read by guest/init.sh and the guest programs). */
  append?: string[];
  /** Called with each console line. */
  onLine(line: string): void;
}

/** How qemu ended. */
export interface BootResult {
  code: number;
  timedOut: boolean;
  stderr: string;
}

/** The qemu command line for `o`. */
export function qemuArgs(o: BootOptions): string[] {
  const append = [
    "console=ttyS0",
    "quiet",
    "panic=-1",
    "loglevel=3",
    `ka_vm_timeout=${o.timeoutS + 30}`,
    ...(o.append ?? []),
  ];
  return [
    o.qemu,
    ...["-accel", "tcg", "-cpu", "max", "-m", String(o.memMiB), "-smp", o.smp],
    ...["-nographic", "-no-reboot", "-nic", "none"],
    ...["-kernel", o.kernel.vmlinuz, "-initrd", o.initrd, "-append", append.join(" ")],
  ];
}

/** Boots the VM and streams its console until qemu exits (the guest powers off) or the timeout. */
export async function bootVm(o: BootOptions): Promise<BootResult> {
  const proc = Bun.spawn(qemuArgs(o), { cwd: o.cwd, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let timedOut = false;
  // If we are stopped, qemu goes too (and the guest powers itself off at ka_vm_timeout in any case).
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      process.kill(proc.pid, "SIGKILL");
      process.exit(1);
    });
  }
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(proc.pid, "SIGKILL");
  }, o.timeoutS * 1000);
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const raw of lines) o.onLine(raw.replace(/\r$/, ""));
  }
  if (pending) o.onLine(pending.replace(/\r$/, ""));
  const code = await proc.exited;
  clearTimeout(timer);
  const stderr = (await new Response(proc.stderr).text()).trim();
  return { code, timedOut, stderr };
}
