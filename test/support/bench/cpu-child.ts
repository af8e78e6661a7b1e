/**
 * Helper of cpu.test.ts: waits for a line on stdin, then runs a child process that spins for MS ms of
 * CPU and exits, waits for it (its time moves into this process's cutime/cstime), and prints the
 * child's own CPU in ns (as it read its /proc/self/stat before exiting). Then idles until stdin closes.
 *   bun cpu-child.ts MS
 */
export {};
const ms = Number(process.argv[2] ?? 200);
const spin = `
const own = () => { const f = require("node:fs").readFileSync("/proc/self/stat", "utf8"); const v = f.slice(f.lastIndexOf(")") + 2).split(" "); return (Number(v[11]) + Number(v[12])) * 1e7; };
let x = 0;
while (own() < ${ms} * 1e6) for (let i = 0; i < 10000; i++) x += i;
console.log(String(own()));`;
const reader = (Bun.stdin.stream() as ReadableStream<Uint8Array>).getReader();
await reader.read();
const c = Bun.spawn([process.execPath, "-e", spin], { stdout: "pipe", stderr: "inherit" });
const out = await new Response(c.stdout).text();
await c.exited;
console.log(out.trim());
while (!(await reader.read()).done) { /* idle until stdin closes */ }
