/**
 * Function lengths in src/, for scripts/lint.ts: every function declaration, method, accessor,
 * constructor, function expression and arrow function with a block body, measured in lines from its
 * first line to its closing brace (a nested function counts inside its parent too). Parsed with the
 * TypeScript compiler that `npm run typecheck` uses, so strings and comments cannot confuse it.
 */
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** One function and its length. */
export interface FunctionLength {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function nameOf(n: ts.Node, sf: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isAccessor(n)) && n.name) {
    return n.name.getText(sf);
  }
  if (ts.isConstructorDeclaration(n)) return "constructor";
  const p = n.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p))) {
    return p.name.getText(sf);
  }
  return "(anonymous)";
}

/** Every function in the .ts files under `under`, longest first. */
export function functionLengths(root: string, under = "src"): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of new Glob(`${under}/**/*.ts`).scanSync({ cwd: root })) {
    const sf = ts.createSourceFile(
      file,
      readFileSync(join(root, file), "utf8"),
      ts.ScriptTarget.Latest,
      true,
    );
    const visit = (n: ts.Node): void => {
      const body = ts.isFunctionLike(n) ? (n as ts.FunctionLikeDeclaration).body : undefined;
      if (body && ts.isBlock(body)) {
        const first = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
        const last = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
        out.push({ file, name: nameOf(n, sf), line: first + 1, lines: last - first + 1 });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

if (import.meta.main) {
  const min = Number(process.argv[2] ?? 60);
  for (const f of functionLengths(join(import.meta.dir, "..")).filter((f) => f.lines > min)) {
    console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
  }
}
