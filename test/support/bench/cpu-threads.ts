/**
 * Helper of cpu.test.ts: waits for a line on stdin, then runs N worker threads one after another, each
 * spinning until its own thread has used MS ms of CPU (/proc/thread-self/schedstat), and prints the sum
 * of the workers' own CPU in ns once every one of them has exited. Then it idles until stdin closes.
 *   bun cpu-threads.ts N MS
 */
export {};
const n = Number(process.argv[2] ?? 3);
const ms = Number(process.argv[3] ?? 150);
const src = `
const own = () => Number(require("node:fs").readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
self.onmessage = (ev) => {
  const t0 = own();
  let x = 0;
  while (own() - t0 < ev.data * 1e6) for (let i = 0; i < 10000; i++) x += i;
  self.postMessage(own());
};`;
const url = URL.createObjectURL(new Blob([src], { type: "application/javascript" }));
const reader = (Bun.stdin.stream() as ReadableStream<Uint8Array>).getReader();
await reader.read();
let total = 0;
for (let i = 0; i < n; i++) {
  const w = new Worker(url);
  total += await new Promise<number>((resolve) => {
    w.onmessage = (ev: MessageEvent<number>) => resolve(ev.data);
    w.postMessage(ms);
  });
  await new Promise<void>((resolve) => {
    w.addEventListener("close", () => resolve());
    w.terminate();
  });
}
console.log(String(total));
while (!(await reader.read()).done) { /* idle until stdin closes */ }
