// The simulated maps against the real kernel's, through bpf() on this
// machine: random sequences of syscall-side operations must give the same
// answers, values, get_next_key order and LRU evictions. Skipped, with the
// reason printed, where the kernel cannot be reached.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kernelProbe } from "./kernel-oracle.ts";
import { runSimScript } from "./kernel-script.ts";

const probe = kernelProbe();
const skipReason = typeof probe === "string" ? probe : undefined;
if (skipReason !== undefined) console.warn(`skipping kernel differential map tests: ${skipReason}`);

const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
const u32 = (n: number): string => hex([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]);

interface Kind {
  readonly title: string;
  readonly create: string; // "TYPE KEY VALUE MAX FLAGS"
  readonly key: fc.Arbitrary<string>;
  readonly valueBytes: (cpus: number) => number;
  readonly ops: readonly string[];
}

const smallKey = fc.integer({ min: 0, max: 19 }).map(u32);
const roundedTimes = (size: number) => (cpus: number) => Math.ceil(size / 8) * 8 * cpus;
const lpmKey = fc
  .tuple(fc.integer({ min: 0, max: 33 }), fc.constantFrom(0x0a, 0x0b, 0xc0), fc.constantFrom(0x00, 0x80, 0xa8), fc.integer({ min: 0, max: 3 }))
  .map(([prefixLength, a, b, c]) => u32(prefixLength) + hex([a, b, c, 0]));

const kinds: readonly Kind[] = [
  { title: "hash (BPF_F_ZERO_SEED)", create: "1 4 8 8 64", key: smallKey, valueBytes: () => 8, ops: ["update", "lookup", "delete", "next", "lookupdel"] },
  { title: "percpu_hash", create: "5 4 12 8 64", key: smallKey, valueBytes: roundedTimes(12), ops: ["update", "lookup", "delete", "next"] },
  { title: "lru_hash", create: "9 4 8 8 64", key: smallKey, valueBytes: () => 8, ops: ["update", "update", "lookup", "delete", "next"] },
  { title: "lru_hash, BPF_F_NO_COMMON_LRU", create: "9 4 8 8 66", key: smallKey, valueBytes: () => 8, ops: ["update", "update", "lookup", "delete", "next"] },
  { title: "lru_percpu_hash", create: "10 4 4 8 64", key: smallKey, valueBytes: roundedTimes(4), ops: ["update", "update", "lookup", "delete", "next"] },
  { title: "array", create: "2 4 8 6 0", key: fc.integer({ min: 0, max: 7 }).map(u32), valueBytes: () => 8, ops: ["update", "lookup", "delete", "next"] },
  { title: "percpu_array", create: "6 4 4 6 0", key: fc.integer({ min: 0, max: 7 }).map(u32), valueBytes: roundedTimes(4), ops: ["update", "lookup", "next"] },
  { title: "lpm_trie", create: "11 8 4 6 1", key: lpmKey, valueBytes: () => 4, ops: ["update", "update", "lookup", "delete", "next"] },
  { title: "queue", create: "22 0 4 4 0", key: fc.constant("-"), valueBytes: () => 4, ops: ["update", "pop", "lookup"] },
  { title: "stack", create: "23 0 4 4 0", key: fc.constant("-"), valueBytes: () => 4, ops: ["update", "pop", "lookup"] },
];

function opsFor(kind: Kind, cpus: number): fc.Arbitrary<string[]> {
  const op = fc
    .tuple(fc.constantFrom(...kind.ops), kind.key, fc.uint8Array({ minLength: kind.valueBytes(cpus), maxLength: kind.valueBytes(cpus) }), fc.constantFrom(0, 0, 1, 2, 4))
    .map(([name, key, value, flags]) => {
      switch (name) {
        case "update":
          return `update 0 ${key} ${hex([...value])} ${flags}`;
        case "pop":
          return "pop 0";
        default:
          return `${name} 0 ${key}`;
      }
    });
  return fc.array(op, { minLength: 1, maxLength: 60 });
}

// Every key in get_next_key order, then each of them looked up: the whole state as the syscall side sees it.
function walk(kind: Kind): string[] {
  if (kind.create.startsWith("22 ") || kind.create.startsWith("23 ")) return ["lookup 0 -", "pop 0", "pop 0", "pop 0", "pop 0", "pop 0"];
  return ["next 0 -"];
}

describe.skipIf(skipReason !== undefined)("maps against the kernel's bpf()", () => {
  for (const kind of kinds) {
    it(`${kind.title}: same answers to random operation sequences`, () => {
      const kernel = probe as Exclude<typeof probe, string>;
      fc.assert(
        fc.property(opsFor(kind, kernel.possibleCpus), (ops) => {
          const lines = [`create ${kind.create}`, ...ops, ...walk(kind)];
          const script = `${lines.join("\n")}\n`;
          const expected = kernel.run(script);
          // Extend the walk: follow get_next_key from each answer the kernel gave, on both sides.
          const actual = runSimScript(script, kernel.possibleCpus);
          const transcript = lines.map((line, i) => `${expected[i] === actual[i] ? "  " : "!!"} ${line}  kernel: ${expected[i]}  sim: ${actual[i]}`);
          expect(actual, transcript.join("\n")).toEqual(expected);
          const last = expected[expected.length - 1];
          if (last?.startsWith("ok ") && lines[lines.length - 1] === "next 0 -") {
            const follow: string[] = [...lines];
            let key = last.slice(3);
            for (let step = 0; step < 24; step++) {
              follow.push(`next 0 ${key}`, `lookup 0 ${key}`);
              const more = kernel.run(`${follow.join("\n")}\n`);
              const mine = runSimScript(`${follow.join("\n")}\n`, kernel.possibleCpus);
              expect(mine, follow.map((line, i) => `${more[i] === mine[i] ? "  " : "!!"} ${line}  kernel: ${more[i]}  sim: ${mine[i]}`).join("\n")).toEqual(more);
              const next = more[more.length - 2];
              if (!next.startsWith("ok ")) break;
              key = next.slice(3);
            }
          }
        }),
        { numRuns: Number(process.env.MAP_KERNEL_RUNS ?? 40) },
      );
    });
  }
});
