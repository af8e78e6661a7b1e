/**
 * The D-Bus interface of keepalived's VRRP process (keepalived.conf(5) enable_dbus,
 * dbus_service_name; /usr/share/dbus-1/interfaces/org.keepalived.Vrrp1.{Vrrp,Instance}.xml), served by
 * the parent on the system bus ($DBUS_SYSTEM_BUS_ADDRESS) through dbus-next, loaded only when D-Bus is
 * on. /org/keepalived/Vrrp1/Vrrp has PrintData, PrintStats, PrintStatsClear, ReloadConfig and the
 * VrrpStarted / VrrpReloaded / VrrpStopped signals; /org/keepalived/Vrrp1/Instance/IFNAME/VRID/IPv4|IPv6
 * per instance has the Name and State properties, SendGarp and the VrrpStatusChange signal. A bus that
 * is absent or refuses the name is a warning: the daemon runs on without D-Bus.
 */
import type { KeepalivedConfig, VrrpInstance } from "../config/model.ts";
import type { DumpKind, Message, Role, VrrpStateName } from "../core/ipc.ts";
import type { Logger } from "../core/log.ts";
import { VrrpLive } from "../snmp/live.ts";

/** Transitions kept while the bus is joined (a start with thousands of instances keeps the first ones). */
const MAX_EARLY = 10_000;

/** keepalived's default bus name. */
export const DEFAULT_DBUS_NAME = "org.keepalived.Vrrp1";
const ROOT = "/org/keepalived/Vrrp1";

/** What the D-Bus methods do in the parent. */
export interface DbusActions {
  dump(kind: DumpKind): void;
  reload(): void;
  sendGarp(instance: string): void;
}

/** keepalived's own state numbers (VRRP_STATE_*), which its D-Bus interface uses. */
export const DBUS_STATE_NUM: Readonly<Record<VrrpStateName, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98, DELETED: 97 };

/** State names of the State property, as keepalived 2.2.7 gives them. */
export const STATE_TEXT: Readonly<Record<VrrpStateName, string>> = {
  INIT: "Init",
  BACKUP: "Backup",
  MASTER: "Master",
  FAULT: "Fault",
  STOP: "Stop",
  DELETED: "Deleted",
};

/** The object path of an instance. */
export function instancePath(v: VrrpInstance): string {
  return `${ROOT}/Instance/${(v.interface ?? "").replace(/[^A-Za-z0-9_]/g, "_")}/${v.vrid}/${v.family === "ipv6" ? "IPv6" : "IPv4"}`;
}

type DbusNext = typeof import("dbus-next");
type Bus = import("dbus-next").MessageBus;
/** An exported interface object: its signal methods return the signal body. */
type Emitter = InstanceType<DbusNext["interface"]["Interface"]>;

/** Calls a dbus-next signal method (its return value is the signal body). */
function emit(o: Emitter | undefined, signal: string, ...args: unknown[]): void {
  const f: unknown = o === undefined ? undefined : Reflect.get(o, signal);
  if (typeof f === "function") f.apply(o, args);
}

/** The parent's D-Bus service. */
export class DbusService {
  readonly live = new VrrpLive();
  #bus: Bus | undefined;
  #lib: DbusNext | undefined;
  #vrrp: Emitter | undefined;
  readonly #objects = new Map<string, { path: string; iface: Emitter }>();
  #cfg: KeepalivedConfig | undefined;
  #name = "";
  #starting: Promise<void> | undefined;
  /** Transitions that came while the bus was still being joined: sent once it is (keepalived's first BACKUP too). */
  #early: { instance: string; to: keyof typeof DBUS_STATE_NUM }[] | undefined;

  constructor(readonly log: Logger, readonly actions: DbusActions) {}

  /** Starts, renames or stops the service to match the configuration; re-exports the instances. */
  setConfig(cfg: KeepalivedConfig, reload = false): void {
    this.#cfg = cfg;
    this.live.retain(new Set(cfg.vrrp.instances.map((v) => v.name)));
    const name = cfg.global.enableDbus ? cfg.global.dbusServiceName ?? DEFAULT_DBUS_NAME : "";
    if (name !== this.#name) {
      void this.stop();
      this.#name = name;
      if (name) this.#starting = this.#start(name);
      return;
    }
    if (!this.#bus) return;
    this.#exportInstances();
    if (reload) emit(this.#vrrp, "VrrpReloaded");
  }

  /** Feeds a child message; a VRRP transition emits VrrpStatusChange. */
  onMessage(role: Role, msg: Message): void {
    if (!this.#name) return;
    const t = this.live.onMessage(role, msg);
    if (!t || !this.#cfg) return;
    if (this.#bus) this.#statusChange(t.instance, t.to);
    else if (this.#early && this.#early.length < MAX_EARLY) this.#early.push({ instance: t.instance, to: t.to });
  }

  #statusChange(instance: string, to: keyof typeof DBUS_STATE_NUM): void {
    const v = this.#cfg?.vrrp.instances.find((i) => i.name === instance);
    if (v) emit(this.#objects.get(v.name)?.iface, "VrrpStatusChange", DBUS_STATE_NUM[to]);
  }

  /** Emits VrrpStopped and leaves the bus (resolves once the signal had time to go out). */
  async stop(): Promise<void> {
    const bus = this.#bus;
    if (bus) emit(this.#vrrp, "VrrpStopped");
    this.#bus = undefined;
    this.#vrrp = undefined;
    this.#objects.clear();
    this.#name = "";
    if (!bus) return;
    await Bun.sleep(100);
    bus.disconnect();
  }

  /** Resolves when the last start attempt finished (for tests). */
  async ready(): Promise<void> {
    await this.#starting;
  }

  async #start(name: string): Promise<void> {
    this.#early = [];
    try {
      this.#lib ??= await import("dbus-next");
      const bus = this.#lib.systemBus();
      let failed = false;
      bus.on("error", (e) => {
        if (!failed) this.log.warn(`D-Bus: ${e.message}; running without D-Bus`);
        failed = true;
        if (this.#bus === bus) this.#bus = undefined;
      });
      const r = await bus.requestName(name, 4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */);
      if (r !== 1 && r !== 4) {
        this.log.warn(`D-Bus: the name ${name} is owned by another process; running without D-Bus`);
        bus.disconnect();
        return;
      }
      if (this.#name !== name) return bus.disconnect();
      this.#bus = bus;
      this.#vrrp = this.#vrrpObject();
      bus.export(`${ROOT}/Vrrp`, this.#vrrp);
      this.#exportInstances();
      this.log.info(`Acquired DBus bus ${name}`);
      emit(this.#vrrp, "VrrpStarted");
      for (const t of this.#early ?? []) this.#statusChange(t.instance, t.to);
    } catch (e) {
      this.log.warn(`D-Bus: cannot serve ${name}: ${(e as Error).message}; running without D-Bus`);
    } finally {
      this.#early = undefined;
    }
  }

  #vrrpObject(): Emitter {
    const { Interface } = this.#lib!.interface;
    const a = this.actions;
    class Vrrp extends Interface {
      PrintData() {
        a.dump("data");
      }
      PrintStats() {
        a.dump("stats");
      }
      PrintStatsClear() {
        a.dump("stats_clear");
      }
      ReloadConfig() {
        a.reload();
      }
      VrrpStarted() {
        return undefined;
      }
      VrrpReloaded() {
        return undefined;
      }
      VrrpStopped() {
        return undefined;
      }
    }
    // dbus-next writes the member name into each options object: one object per member.
    const m = () => ({ inSignature: "", outSignature: "" });
    Vrrp.configureMembers({
      methods: { PrintData: m(), PrintStats: m(), PrintStatsClear: m(), ReloadConfig: m() },
      signals: { VrrpStarted: { signature: "" }, VrrpReloaded: { signature: "" }, VrrpStopped: { signature: "" } },
    });
    return new Vrrp("org.keepalived.Vrrp1.Vrrp");
  }

  #instanceObject(v: VrrpInstance): Emitter {
    const { Interface } = this.#lib!.interface;
    const live = this.live, a = this.actions, name = v.name;
    class Instance extends Interface {
      get Name() {
        return name;
      }
      get State() {
        const s = live.get(name)?.state ?? "INIT";
        return [DBUS_STATE_NUM[s], STATE_TEXT[s]];
      }
      SendGarp() {
        a.sendGarp(name);
      }
      VrrpStatusChange(status: unknown) {
        return status;
      }
    }
    Instance.configureMembers({
      properties: { Name: { signature: "s", access: "read" }, State: { signature: "(us)", access: "read" } },
      methods: { SendGarp: { inSignature: "", outSignature: "" } },
      signals: { VrrpStatusChange: { signature: "u" } },
    });
    return new Instance("org.keepalived.Vrrp1.Instance");
  }

  /** Exports one object per configured instance; unexports the ones a reload removed or moved. */
  #exportInstances(): void {
    const bus = this.#bus!, cfg = this.#cfg!;
    const want = new Map(cfg.vrrp.instances.filter((v) => v.interface).map((v) => [v.name, v]));
    for (const [n, o] of [...this.#objects]) {
      const v = want.get(n);
      if (v && instancePath(v) === o.path) continue;
      bus.unexport(o.path, o.iface);
      this.#objects.delete(n);
    }
    for (const [n, v] of want) {
      if (this.#objects.has(n)) continue;
      const o = { path: instancePath(v), iface: this.#instanceObject(v) };
      bus.export(o.path, o.iface);
      this.#objects.set(n, o);
    }
  }
}
