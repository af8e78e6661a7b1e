/**
 * Moves test files into the tiers (DEVELOPERS.md, Tests) and keeps their relative imports and path
 * literals right, for tests written against the old layout (test/<area>/x.test.ts beside its helpers):
 *   bun scripts/move-test.ts OLD NEW [OLD NEW ...]   git mv each, then fix the moved files and their importers
 *   bun scripts/move-test.ts --repair                fix broken relative paths in test/ files already moved
 * A path is fixed only when it does not resolve where it stands and does resolve from the file's old place
 * (test/unit/<area>/ and test/component/<area>/ were test/<area>/; a helper test/<area>/h.ts is now
 * test/support/<area>/h.ts). Nothing else is touched; run `npm run typecheck` after it.
 */
import { Glob } from "bun";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(import.meta.dir, "..");
const at = (p: string) => join(root, p);
/** A relative path literal: "./x", "../x" after a quote or backtick, or after `${import.meta.dir}/`. */
const LITERAL = /(["'`]|import\.meta\.dir\}\/)(\.\.?\/[^"'`$\s]*)/g;

/** The repository path `spec` names from directory `dir`, if it exists (with or without ".ts"). */
function existing(dir: string, spec: string): string | null {
  const p = normalize(join(dir, spec)).replace(/\/$/, "");
  if (existsSync(at(p))) return p;
  if (existsSync(at(`${p}.ts`))) return p;
  return null;
}

/** Where an old-layout path is now: itself, or its helper's place under test/support/. */
function nowAt(p: string, moved: Map<string, string>): string | null {
  const m = moved.get(p) ?? moved.get(`${p}.ts`)?.replace(/\.ts$/, "");
  if (m) return m;
  if (existsSync(at(p)) || existsSync(at(`${p}.ts`))) return p;
  const helper = /^test\/(?!unit\/|component\/|netns\/|vm\/|support\/|fixtures\/)(.+)$/.exec(p);
  if (helper && (existsSync(at(`test/support/${helper[1]}`)) || existsSync(at(`test/support/${helper[1]}.ts`)))) return `test/support/${helper[1]}`;
  return null;
}

function relativeFrom(dir: string, target: string): string {
  const r = relative(dir, target) || ".";
  return r.startsWith(".") ? r : `./${r}`;
}

/** Rewrites `text` of a file now in `newDir` whose literals were written from `oldDir`. */
function fix(text: string, oldDir: string, newDir: string, moved: Map<string, string>): string {
  return text.replace(LITERAL, (all, quote: string, spec: string) => {
    if (existing(newDir, spec) && !moved.has(normalize(join(newDir, spec)))) return all;
    const target = nowAt(normalize(join(oldDir, spec)).replace(/\/$/, ""), moved);
    if (target === null) return all;
    const r = relativeFrom(newDir, target) + (spec.endsWith("/") ? "/" : "");
    return r === spec ? all : quote + r;
  });
}

/** The directory a file under test/unit or test/component had in the old layout. */
function oldDirOf(file: string): string {
  return dirname(file).replace(/^test\/(unit|component)(\/|$)/, "test$2");
}

function sh(cmd: string[]): void {
  const p = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed`);
}

const args = process.argv.slice(2);
const files = [...new Glob("{test,bench,scripts}/**/*.ts").scanSync({ cwd: root })];
let changed = 0;
const write = (f: string, before: string, after: string) => {
  if (after === before) return;
  writeFileSync(at(f), after);
  changed++;
  console.log(`fixed ${f}`);
};

if (args[0] === "--repair") {
  for (const f of files.filter((x) => x.startsWith("test/"))) {
    const text = readFileSync(at(f), "utf8");
    write(f, text, fix(text, oldDirOf(f), dirname(f), new Map()));
  }
} else {
  if (args.length === 0 || args.length % 2) throw new Error("usage: bun scripts/move-test.ts OLD NEW [OLD NEW ...] | --repair");
  const moved = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) moved.set(normalize(args[i]!), normalize(args[i + 1]!));
  // Importers first, while the moved files are still where their specifiers point.
  for (const f of files.filter((x) => !moved.has(x))) {
    const text = readFileSync(at(f), "utf8");
    const after = text.replace(LITERAL, (all, quote: string, spec: string) => {
      const target = existing(dirname(f), spec);
      const to = target && (moved.get(target) ?? moved.get(`${target}.ts`)?.replace(/\.ts$/, ""));
      return to ? quote + relativeFrom(dirname(f), to) : all;
    });
    write(f, text, after);
  }
  for (const [from, to] of moved) {
    mkdirSync(dirname(at(to)), { recursive: true });
    sh(["git", "mv", from, to]);
    const text = readFileSync(at(to), "utf8");
    write(to, text, fix(text, dirname(from), dirname(to), moved));
  }
}
console.log(`${changed} file(s) changed`);
