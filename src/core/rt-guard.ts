/**
 * Keeps a realtime process clear of its RLIMIT_RTTIME hard limit.
 *
 * Under SCHED_RR the kernel counts the CPU time a thread runs without sleeping and kills the process
 * (SIGKILL) at the hard limit; keepalived's default is 10 ms (soft: 5 ms, SIGXCPU). A C daemon rarely runs
 * that long between two waits. Ours can: 100 instances whose Master_Down_Timers expire in one wake
 * each add their addresses, send gratuitous ARPs and log, in one run of the scheduler (measured: the VRRP
 * child was killed six times in ten seconds at start-up with `vrrp_rt_priority 50`; keepalived 2.2.7
 * twice with the same file). A SIGXCPU handler cannot help, since it runs only when the busy task ends.
 *
 * So the loops that run many units of work in one task (the scheduler's timers and `soon` work, the
 * reactor's ready fds, a receive batch, the address operations of a transition, the netlink events that
 * follow them) call checkpoint() between units. While the
 * guard is on, a checkpoint that finds `budget` ms of wall time since it last knew the thread had slept
 * asks the kernel how many voluntary context switches the thread has made (getrusage RUSAGE_THREAD):
 * if one happened meanwhile, the counter was reset by the wake that followed it; if none did, the thread
 * takes a short sleep, which resets it. Wall time bounds CPU time, so with checkpoints at least every
 * `budget` the thread never runs more than about twice the budget without sleeping, plus the longest
 * single unit. The budget is an eighth of the hard limit. Off (one comparison per checkpoint) unless
 * the process runs realtime with a limit. Work that cannot be cut into units runs outside() realtime.
 */

/** What the guard needs from the kernel (src/ffi/sched.ts; a fake in tests). */
export interface RtGuardOs {
  /** ms, monotonic. */
  now(): number;
  /** The calling thread's voluntary context switches so far. */
  voluntarySwitches(): number;
  /** Sleeps briefly (the thread leaves the CPU). */
  nap(): void;
  /** The calling thread to SCHED_OTHER (the kernel's count starts again when it goes back). */
  demote(): void;
  /** The calling thread back to its realtime priority. */
  restore(): void;
}

/** Naps tried per checkpoint before it gives up (a nap that did not sleep shows no switch). */
const MAX_NAPS = 3;

export class RtGuard {
  #os: RtGuardOs | undefined;
  #budgetMs = 0;
  #mark = 0;
  #seen = 0;
  /** Checkpoints that had to sleep. */
  naps = 0;

  /** On, for a hard limit of `hardLimitUs` µs. */
  on(hardLimitUs: number, os: RtGuardOs): void {
    if (!(hardLimitUs > 0)) return this.off();
    this.#os = os;
    this.#budgetMs = hardLimitUs / 8 / 1000;
    this.#mark = os.now();
    this.#seen = os.voluntarySwitches();
  }

  off(): void {
    this.#os = undefined;
    this.#budgetMs = 0;
  }

  get budgetMs(): number {
    return this.#budgetMs;
  }

  /** Whether the process runs realtime with a limit (hot paths test this before they make a closure for outside()). */
  get active(): boolean {
    return this.#os !== undefined;
  }

  /**
   * Runs `f`, one long piece of work that has no place for checkpoints (reading /proc/self/smaps for the
   * page trim, decoding a configuration from the parent), with the thread out of realtime scheduling.
   */
  outside<T>(f: () => T): T {
    const os = this.#os;
    if (os === undefined) return f();
    os.demote();
    try {
      return f();
    } finally {
      os.restore();
      this.#seen = os.voluntarySwitches();
      this.#mark = os.now();
    }
  }

  /** Between two units of work: sleeps if the thread may have run `budget` without sleeping. */
  checkpoint(): void {
    const os = this.#os;
    if (os === undefined) return;
    const now = os.now();
    if (now - this.#mark < this.#budgetMs) return;
    let v = os.voluntarySwitches();
    if (v === this.#seen) {
      this.naps++;
      for (let i = 0; i < MAX_NAPS && v === this.#seen; i++) {
        os.nap();
        v = os.voluntarySwitches();
      }
    }
    this.#seen = v;
    this.#mark = os.now();
  }
}

/** The process's guard: the tuner turns it on and off, the work loops call its checkpoint. */
export const rtGuard = new RtGuard();
