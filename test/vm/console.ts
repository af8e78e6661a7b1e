/**
 * Reads the VM's serial console line by line and turns the /init protocol (test/vm/guest/init.sh) into
 * per-test results: VM-BOOTED, VMTEST-BEGIN <name>, "  | " output lines, VMTEST PASS|FAIL <name>, VM-DONE.
 */

/** One test's outcome with the output it printed. */
export interface TestResult {
  name: string;
  ok: boolean;
  detail: string;
  output: string[];
}

/** Incremental parser of the console; `expected` are the test names sent into the VM. */
export class ConsoleParser {
  booted = false;
  done = false;
  /** Guest uptime (s) at VM-BOOTED and VM-DONE. */
  bootedAt = 0;
  doneAt = 0;
  #current: string | null = null;
  #output = new Map<string, string[]>();
  #results = new Map<string, TestResult>();
  #tail: string[] = [];

  constructor(readonly expected: string[]) {}

  /** Feeds one line (no newline); returns "booted" or a finished test when the line completes one. */
  feed(raw: string): "booted" | TestResult | null {
    // The firmware clears the screen with escape sequences that can prefix the first lines.
    const line = raw.replace(/\x1b(\[[0-9;?]*[ -/]*[@-~]|[^[])/g, "");
    this.#tail.push(line);
    if (this.#tail.length > 40) this.#tail.shift();
    // Kernel messages can share the serial line with ours: look for the marker anywhere in it.
    const b = /VM-BOOTED(?: ([0-9.]+))?/.exec(line);
    if (b && !this.booted) {
      this.booted = true;
      this.bootedAt = Number(b[1]) || 0;
      return "booted";
    }
    if (line.startsWith("VM-DONE")) {
      this.done = true;
      this.doneAt = Number(line.split(" ")[1]) || 0;
      return null;
    }
    let m = /^VMTEST-BEGIN (\S+)/.exec(line);
    if (m) {
      // A test started, so /init ran even if its VM-BOOTED line was lost on the console.
      this.booted = true;
      this.#current = m[1]!;
      this.#output.set(this.#current, []);
      return null;
    }
    m = /^VMTEST (PASS|FAIL) (\S+) ?(.*)$/.exec(line);
    if (m) {
      const r: TestResult = {
        name: m[2]!,
        ok: m[1] === "PASS",
        detail: m[3] ?? "",
        output: this.#output.get(m[2]!) ?? [],
      };
      this.#results.set(r.name, r);
      this.#current = null;
      return r;
    }
    if (this.#current !== null && line.startsWith("  | ")) {
      this.#output.get(this.#current)!.push(line.slice(4));
    }
    return null;
  }

  /** Results for every expected test; one that never finished fails with `why` and its partial output. */
  results(why: string): TestResult[] {
    return this.expected.map((name) =>
      this.#results.get(name) ?? {
        name,
        ok: false,
        detail: `did not finish: ${why || "no VMTEST line"}`,
        output: this.#output.get(name) ?? [],
      }
    );
  }

  /** The last console lines, for a boot failure. */
  tail(): string[] {
    return this.#tail.slice(-25);
  }
}
