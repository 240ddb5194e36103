// The event-queue floor in TypeScript (see queue-hold.c for what it measures):
//   node bin/run-ts.js bench/engine-floor/queue-hold.ts [OPERATIONS] [--wasm FILE]
// With --wasm it also times the AssemblyScript build of the same code (assembly/queue-hold.ts).
import { readFileSync } from "node:fs";

const BUCKETS = 4096;
const MASK = BUCKETS - 1;
const CAPACITY = 65536;
const LIVE = 500;

const eventTime = new Float64Array(CAPACITY);
const eventArg = new Int32Array(CAPACITY);
const nextNode = new Int32Array(CAPACITY);
const head = new Int32Array(BUCKETS).fill(-1);
const tail = new Int32Array(BUCKETS).fill(-1);
const nonEmpty = new Uint32Array(BUCKETS >>> 5);
let freeNode = -1;
let usedNodes = 0;
let curIdx = 0;
let inCalendar = 0;
let curAbs = 0;
let popTime = 0;
let popArg = 0;
let rng = 12345;

function nextRandom(): number {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x >>> 0;
}

function allocNode(): number {
  if (freeNode < 0) return usedNodes++;
  const node = freeNode;
  freeNode = nextNode[node];
  return node;
}

function push(t: number, arg: number): void {
  const node = allocNode();
  eventTime[node] = t;
  eventArg[node] = arg;
  let bucket = Math.floor(t);
  if (inCalendar === 0) {
    curAbs = bucket;
    curIdx = curAbs & MASK;
  } else if (bucket < curAbs) bucket = curAbs;
  const idx = (curIdx + (bucket - curAbs)) & MASK;
  const last = tail[idx];
  inCalendar++;
  if (last < 0) {
    head[idx] = tail[idx] = node;
    nextNode[node] = -1;
    nonEmpty[idx >>> 5] |= 1 << (idx & 31);
    return;
  }
  if (eventTime[last] <= t) {
    nextNode[last] = node;
    nextNode[node] = -1;
    tail[idx] = node;
    return;
  }
  let prev = -1;
  let at = head[idx];
  while (eventTime[at] <= t) {
    prev = at;
    at = nextNode[at];
  }
  nextNode[node] = at;
  if (prev < 0) head[idx] = node;
  else nextNode[prev] = node;
}

function advance(): number {
  const words = BUCKETS >>> 5;
  const start = curIdx;
  let w = start >>> 5;
  let word = nonEmpty[w] & (-1 << (start & 31));
  for (let k = 0; word === 0 && k < words; k++) {
    w = w + 1 === words ? 0 : w + 1;
    word = nonEmpty[w];
  }
  const idx = (w << 5) | (31 - Math.clz32(word & -word));
  curAbs += (idx - start) & MASK;
  curIdx = idx;
  return idx;
}

function pop(): void {
  const idx = head[curIdx] >= 0 ? curIdx : advance();
  const node = head[idx];
  const after = nextNode[node];
  head[idx] = after;
  if (after < 0) {
    tail[idx] = -1;
    nonEmpty[idx >>> 5] &= ~(1 << (idx & 31));
  }
  inCalendar--;
  popTime = eventTime[node];
  popArg = eventArg[node];
  nextNode[node] = freeNode;
  freeNode = node;
}

function hold(operations: number): number {
  let checksum = 0;
  for (let i = 0; i < operations; i++) {
    pop();
    checksum += popTime;
    push(popTime + (nextRandom() % 1000) + 0.25, popArg);
  }
  return checksum;
}

interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
}

function timed(name: string, run: () => number, operations: number): void {
  const before = process.cpuUsage();
  const checksum = run();
  const used = process.cpuUsage(before);
  console.log(`${name} ${(((used.user + used.system) * 1e3) / operations).toFixed(1)} ns per pop+push (checksum ${checksum.toFixed(2)})`);
}

const args = process.argv.slice(2);
const wasmAt = args.indexOf("--wasm");
const operations = Number(args.find((a, i) => !a.startsWith("--") && i !== wasmAt + 1) ?? 5_000_000);
for (let i = 0; i < LIVE; i++) push((nextRandom() % 1000) + 0.5, i);
timed("typescript", () => hold(operations), operations);
if (wasmAt >= 0) {
  // The WebAssembly global is not in this project's type libraries (es2023, node).
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = await wasm.instantiate(readFileSync(args[wasmAt + 1]), { env: { abort: () => { throw new Error("abort in the wasm queue"); } } });
  const exports = module.instance.exports as { hold(operations: number): number };
  timed("wasm", () => exports.hold(operations), operations);
}
