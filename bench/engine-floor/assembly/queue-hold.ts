// The event-queue floor in AssemblyScript (see ../queue-hold.c): the same code, built by run.sh
// with `asc -O3 --noAssert --runtime stub`; exports hold(operations) -> checksum.
const BUCKETS: i32 = 4096;
const MASK: i32 = BUCKETS - 1;
const CAPACITY: i32 = 65536;
const LIVE: i32 = 500;

const eventTime = new StaticArray<f64>(CAPACITY);
const eventArg = new StaticArray<i32>(CAPACITY);
const nextNode = new StaticArray<i32>(CAPACITY);
const head = new StaticArray<i32>(BUCKETS);
const tail = new StaticArray<i32>(BUCKETS);
const nonEmpty = new StaticArray<u32>(BUCKETS >>> 5);
let freeNode: i32 = -1;
let usedNodes: i32 = 0;
let curIdx: i32 = 0;
let inCalendar: i32 = 0;
let curAbs: f64 = 0;
let popTime: f64 = 0;
let popArg: i32 = 0;
let rng: u32 = 12345;

function nextRandom(): u32 {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x;
}

function allocNode(): i32 {
  if (freeNode < 0) return usedNodes++;
  const node = freeNode;
  freeNode = unchecked(nextNode[node]);
  return node;
}

function push(t: f64, arg: i32): void {
  const node = allocNode();
  unchecked((eventTime[node] = t));
  unchecked((eventArg[node] = arg));
  let bucket = Math.floor(t);
  if (inCalendar == 0) {
    curAbs = bucket;
    curIdx = (<i32>(<i64>curAbs)) & MASK;
  } else if (bucket < curAbs) bucket = curAbs;
  const idx = (curIdx + <i32>(bucket - curAbs)) & MASK;
  const last = unchecked(tail[idx]);
  inCalendar++;
  if (last < 0) {
    unchecked((head[idx] = node));
    unchecked((tail[idx] = node));
    unchecked((nextNode[node] = -1));
    unchecked((nonEmpty[idx >>> 5] |= 1 << (idx & 31)));
    return;
  }
  if (unchecked(eventTime[last]) <= t) {
    unchecked((nextNode[last] = node));
    unchecked((nextNode[node] = -1));
    unchecked((tail[idx] = node));
    return;
  }
  let prev: i32 = -1;
  let at = unchecked(head[idx]);
  while (unchecked(eventTime[at]) <= t) {
    prev = at;
    at = unchecked(nextNode[at]);
  }
  unchecked((nextNode[node] = at));
  if (prev < 0) unchecked((head[idx] = node));
  else unchecked((nextNode[prev] = node));
}

function advance(): i32 {
  const words = BUCKETS >>> 5;
  const start = curIdx;
  let w = start >>> 5;
  let word = unchecked(nonEmpty[w]) & (<u32>-1 << (start & 31));
  for (let k = 0; word == 0 && k < words; k++) {
    w = w + 1 == words ? 0 : w + 1;
    word = unchecked(nonEmpty[w]);
  }
  const idx = (w << 5) | (<i32>ctz(word));
  curAbs += (idx - start) & MASK;
  curIdx = idx;
  return idx;
}

function pop(): void {
  const idx = unchecked(head[curIdx]) >= 0 ? curIdx : advance();
  const node = unchecked(head[idx]);
  const after = unchecked(nextNode[node]);
  unchecked((head[idx] = after));
  if (after < 0) {
    unchecked((tail[idx] = -1));
    unchecked((nonEmpty[idx >>> 5] &= ~(1 << (idx & 31))));
  }
  inCalendar--;
  popTime = unchecked(eventTime[node]);
  popArg = unchecked(eventArg[node]);
  unchecked((nextNode[node] = freeNode));
  freeNode = node;
}

export function hold(operations: i32): f64 {
  for (let i = 0; i < BUCKETS; i++) {
    unchecked((head[i] = -1));
    unchecked((tail[i] = -1));
  }
  for (let i = 0; i < LIVE; i++) push(<f64>(nextRandom() % 1000) + 0.5, i);
  let checksum: f64 = 0;
  for (let i = 0; i < operations; i++) {
    pop();
    checksum += popTime;
    push(popTime + <f64>(nextRandom() % 1000) + 0.25, popArg);
  }
  return checksum;
}
