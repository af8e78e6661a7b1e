/**
 * Test helpers: load configs from an in-memory file system with a fixed interface list, so unit tests
 * touch no real files or interfaces.
 */
import { loadConfig, type LoadOptions, type LoadResult } from "../../../src/config/index.ts";

/** In-memory files: absolute path -> contents. */
export type Files = Readonly<Record<string, string>>;

/** Options that read only from `files` and know only `ifaces`. */
export function memOptions(
  files: Files,
  ifaces: readonly string[] = ["eth0", "eth1", "eth2", "eth3"],
  extra: Partial<LoadOptions> = {},
): LoadOptions {
  return {
    configId: "main",
    interfaceExists: (n) => ifaces.includes(n),
    readFile: (p) => files[p],
    listDir: (d) => {
      const prefix = d.endsWith("/") ? d : `${d}/`;
      const names = new Set<string>();
      for (const p of Object.keys(files)) {
        if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
      }
      return names.size ? [...names] : undefined;
    },
    isExecutable: () => false,
    userExists: () => false,
    randomSeed: 1,
    ...extra,
  };
}

/** Load `/etc/keepalived/keepalived.conf` with the given text (plus other files). */
export function loadText(
  text: string,
  more: Files = {},
  extra: Partial<LoadOptions> = {},
  ifaces?: readonly string[],
): LoadResult {
  const files = { "/etc/keepalived/keepalived.conf": text, ...more };
  return loadConfig("/etc/keepalived/keepalived.conf", memOptions(files, ifaces, extra));
}

/** Diagnostics as "line: severity: message" strings (file left out). */
export function diagLines(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.line}: ${d.severity}: ${d.message}`);
}

/** Paths inside `v` whose value is undefined, a function, a Map/Set or a class instance (not plain JSON data). */
export function nonJsonPaths(v: unknown, path = "$", out: string[] = []): string[] {
  if (v === undefined || typeof v === "function" || typeof v === "bigint" || typeof v === "symbol") {
    out.push(path);
  } else if (typeof v === "number" && !Number.isFinite(v)) out.push(path);
  else if (Array.isArray(v)) v.forEach((x, i) => nonJsonPaths(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) out.push(path);
    else for (const [k, x] of Object.entries(v)) nonJsonPaths(x, `${path}.${k}`, out);
  }
  return out;
}

/** A minimal valid vrrp_instance body wrapped around `extra` lines. */
export function instance(extra: string, name = "VI_1"): string {
  return `vrrp_instance ${name} {\n interface eth0\n virtual_router_id 51\n${extra}\n virtual_ipaddress {\n  192.0.2.10/24\n }\n}\n`;
}
