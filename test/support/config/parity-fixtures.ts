/**
 * The configuration corpus of test/fixtures/config/: each file starts with a header giving keepalived
 * 2.2.7's `-t` verdict (`# keepalived 2.2.7 -t: exit N[, reported at line L]`) and may name scripts
 * as `@SCRIPTS@/NAME`, a directory that fixtureScripts() fills with scripts of every kind the
 * keepalived.conf(5) "SCRIPTS" checks tell apart.
 */
import * as fs from "node:fs";

/** One corpus entry ready to run. */
export interface Fixture {
  readonly text: string;
  readonly exit: number;
  readonly line: number | undefined;
}

/** Read a corpus file, substituting the script directory. */
export function readFixture(path: string, scripts: string): Fixture {
  const raw = fs.readFileSync(path, "utf8");
  const m = raw.match(/^# keepalived 2\.2\.7 -t: exit (\d+)(?:, reported at line (\d+))?/);
  if (!m) throw new Error(`${path}: first line must be '# keepalived 2.2.7 -t: exit N[, reported at line L]'`);
  return {
    text: raw.replaceAll("@SCRIPTS@", scripts),
    exit: Number(m[1]),
    line: m[2] === undefined ? undefined : Number(m[2]),
  };
}

/**
 * Scripts under `dir` (created root-owned, mode 755): ok.sh; noexec.sh (644); wr.sh (777); ww/ (a
 * world-writable directory) holding in.sh and lok.sh -> ok.sh; link.sh -> ok.sh; lwr.sh -> wr.sh;
 * nobody.sh owned by the nobody account.
 */
export function fixtureScripts(dir: string): void {
  fs.mkdirSync(`${dir}/ww`, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const sh = "#!/bin/sh\nexit 0\n";
  const put = (rel: string, mode: number) => {
    fs.writeFileSync(`${dir}/${rel}`, sh);
    fs.chmodSync(`${dir}/${rel}`, mode);
  };
  put("ok.sh", 0o755);
  put("noexec.sh", 0o644);
  put("wr.sh", 0o777);
  put("ww/in.sh", 0o755);
  put("nobody.sh", 0o755);
  fs.chownSync(`${dir}/nobody.sh`, 65534, 65534);
  fs.chmodSync(`${dir}/ww`, 0o777);
  fs.symlinkSync(`${dir}/ok.sh`, `${dir}/link.sh`);
  fs.symlinkSync(`${dir}/wr.sh`, `${dir}/lwr.sh`);
  fs.symlinkSync(`${dir}/ok.sh`, `${dir}/ww/lok.sh`);
}
