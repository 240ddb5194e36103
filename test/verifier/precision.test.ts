// Precision backtracking (src/verifier/precision.ts): pruning may ignore a
// scalar no check depended on, and must not ignore one that was used as an
// offset. The "must be precise" side is in test/verifier/cases/
// reject-precise-*.s (a safe value on the path explored first, an unsafe one
// on the path that reaches the join second; each is checked against the
// kernel there). Here: programs that finish within a small budget only
// because states differing in an unused scalar are pruned, and the same
// programs with that scalar used as a packet offset, where every value must
// be explored and an unsafe one caught.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { VerifierUnsupportedError, verify } from "../../src/verifier/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";

// `diamonds` branches on bits of a packet word; each shifts a 0 or a 1 into r6, so every path holds a different
// constant in r6 (2^diamonds of them). Then r6 is returned (never checked), or masked and added to a packet
// pointer (16 bytes checked) for a load at `loadOff`, or unused while r8 = another packet byte & 7 (the same on
// every path) offsets a stack read. At most 31 diamonds: each tests its own bit.
type Tail = "return" | { readonly mask: number; readonly loadOff: number } | "stackOffset";

function diamondsSource(diamonds: number, tail: Tail): string {
  const lines = [
    "r2 = *(u32 *)(r1 + 0)",
    "r3 = *(u32 *)(r1 + 4)",
    "r4 = r2",
    "r4 += 16",
    "if r4 > r3 goto drop",
    "r5 = *(u64 *)(r2 + 0)",
    "*(u64 *)(r10 - 16) = r5",
    "r8 = *(u8 *)(r2 + 8)",
    "r8 &= 7",
    "r6 = 0",
  ];
  for (let i = 0; i < diamonds; i++) {
    lines.push("r6 <<= 1", `if r5 & ${1 << (i % 31)} goto set${i}`, `goto join${i}`, `set${i}:`, "r6 |= 1", `join${i}:`);
  }
  if (tail === "return") lines.push("r0 = r6", "r0 &= 3", "exit");
  else if (tail === "stackOffset") lines.push("r7 = r10", "r7 += -16", "r7 += r8", "r0 = *(u8 *)(r7 + 0)", "r0 = 2", "exit");
  else lines.push(`r6 &= ${tail.mask}`, "r7 = r2", "r7 += r6", `r0 = *(u8 *)(r7 + ${tail.loadOff})`, "r0 = 2", "exit");
  lines.push("drop:", "r0 = 1", "exit");
  return lines.join("\n");
}

const program = (diamonds: number, tail: Tail): Program => assemble(diamondsSource(diamonds, tail), { sourceName: `diamonds-${diamonds}.s` });

// Per diamond the first path runs 3 instructions (shift, branch, jump); every other path runs one (the or)
// and arrives at the join, where it is pruned against the first path's state. A budget of 16 per diamond
// leaves room for joins that get no checkpoint (one at most every 8 instructions and 2 jumps), so that a path
// runs on into the next diamonds, and 20 for the prologue and the end.
const BUDGET_PER_DIAMOND = 16;
const budgetFor = (diamonds: number): number => BUDGET_PER_DIAMOND * diamonds + 20;
const quiet = { logLevel: 0, collectFacts: false } as const;

describe("pruning with imprecise scalars", () => {
  it("finishes 2^24 paths that differ only in an unused scalar within a budget linear in their length", () => {
    const diamonds = 24;
    const result = verify(program(diamonds, "return"), [], { ...quiet, insnLimit: budgetFor(diamonds) });
    expect(result.accepted).toBe(true);
    expect(result.processedInsns).toBeLessThanOrEqual(budgetFor(diamonds));
  });

  it("grows linearly: twice the diamonds cost at most twice the instructions (plus the prologue)", () => {
    const short = verify(program(12, "return"), [], quiet).processedInsns;
    const long = verify(program(24, "return"), [], quiet).processedInsns;
    expect(long).toBeLessThanOrEqual(2 * short + 20);
  });

  it("does not finish within that budget when every scalar is precise (a loader without CAP_BPF, as the kernel)", () => {
    const diamonds = 16;
    expect(() => verify(program(diamonds, "return"), [], { ...quiet, bpfCapable: false, insnLimit: budgetFor(diamonds) })).toThrow(VerifierUnsupportedError);
  });

  it("still prunes on the unused scalar while another one, the same on every path, is a precise stack offset", () => {
    const diamonds = 24;
    const result = verify(program(diamonds, "stackOffset"), [], { ...quiet, insnLimit: budgetFor(diamonds) });
    expect(result.accepted).toBe(true);
  });

  it("explores every path when the accumulated scalar is an offset, and accepts when all its values are safe", () => {
    // r6 & 7 is a constant from 0 to 7 on each path; 16 bytes are checked; the load at r6 + 8 reads byte 15 at most.
    // Every one of the 2^8 paths must be followed to the load: at least 2^8 loads.
    const result = verify(program(8, { mask: 7, loadOff: 8 }), [], quiet);
    expect(result.accepted).toBe(true);
    expect(result.processedInsns).toBeGreaterThan(2 ** 8);
  });

  it("catches the one value that pushes the offset past the checked bytes, on a path explored late", () => {
    // r6 & 15 is 15 only on the paths whose last four bits were set (the first path sets none): the load at
    // r6 + 1 then reads byte 16 of 16 checked.
    const result = verify(program(8, { mask: 15, loadOff: 1 }), [], quiet);
    expect(result.accepted).toBe(false);
    expect(result.error?.message).toBe("R7 offset is outside of the packet");
  });
});

describe.skipIf(!kernelAvailable)("pruning with imprecise scalars, against the kernel", () => {
  it("the kernel gives the same verdicts and also finishes the 2^24 paths within the linear budget", async () => {
    const diamonds = 24;
    const programs = [
      { name: "unused scalar", insns: program(diamonds, "return"), accept: true },
      { name: "unused scalar beside a precise stack offset", insns: program(diamonds, "stackOffset"), accept: true },
      { name: "accumulated offset, all safe", insns: program(8, { mask: 7, loadOff: 8 }), accept: true },
      { name: "accumulated offset, one past the checked bytes", insns: program(8, { mask: 15, loadOff: 1 }), accept: false },
    ];
    const seen: string[] = [];
    await withKernel((k) => {
      for (const p of programs) {
        const kernel = kernelVerdict(k, p.insns, []);
        const ours = verify(p.insns, [], quiet);
        seen.push(`${p.name}: kernel ${kernel.accepted ? "accepts" : `rejects (${kernel.message})`}, ours ${ours.accepted ? "accepts" : "rejects"}`);
        expect(kernel.accepted, seen.join("\n")).toBe(p.accept);
        expect(ours.accepted, seen.join("\n")).toBe(p.accept);
        if (p.name.startsWith("unused scalar")) expect(kernel.processedInsns).toBeLessThanOrEqual(budgetFor(diamonds));
      }
    });
  });
});
