// A 32-bit cmpxchg whose r0 is read as 64 bits afterwards. RFC 9669 (atomic
// operations): the old value is zero-extended into r0 whether or not the
// exchange happens. x86-64's `lock cmpxchg r/m32` writes EAX (and so clears
// RAX's upper half) only when the comparison fails, so the kernel's verifier
// adds an explicit `w0 = w0` after each 32-bit cmpxchg whose r0 it saw read as
// 64 bits. On a path the verifier prunes (a later state found equivalent to one
// already explored) it never sees that read, and no zero-extension is added:
// a successful exchange then leaves r0's upper half as it was. docs/kernel.md
// (Exclusions) has the analysis; these programs are the minimal reproducers.
import { describe, expect, it } from "vitest";
import { AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source } from "../../src/ebpf/opcode.ts";
import { insn, type Insn, type Program } from "../../src/ebpf/instruction.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { XdpMd, addImm, callLocal, exit, jgtReg, ja, load, movImm, movReg, readU64le, store, storeImm } from "./hand-asm.ts";

// w0 = cmpxchg32(rD + off, w0, wS)
const cmpxchg32 = (dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.ATOMIC | Size.W, dst, src, off, AtomicOp.CMPXCHG);
// if wD < imm goto +off (unsigned, 32-bit)
const jlt32Imm = (dst: number, imm: number, off: number): Insn => insn(Class.JMP32 | JmpOp.JLT | Source.K, dst, 0, off, imm);
// wD += imm
const add32Imm = (dst: number, imm: number): Insn => insn(Class.ALU | AluOp.ADD | Source.K, dst, 0, 0, imm);

const XDP_PASS = 2;
const UPPER_BIT = 1n << 63n;
// The packet's first 8 bytes are r0's value before the cmpxchg: 2^63, so w0 = 0 and only the upper half is set.
const PACKET = (() => {
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setBigUint64(0, UPPER_BIT, true);
  return bytes;
})();
// The u64 0x1234567b at r10-40 puts 0 in the u32 at r10-36 (its upper half, little-endian):
// the comparison with w0 = 0 succeeds, the old value is 0, so RFC 9669 gives r0 = 0.
const RFC_R0 = 0n;

// The exchange itself: r0 = r1; *(u64 *)(r10 - 40) = 0x1234567b; w0 = cmpxchg32(r10 - 36, w0, w0).
const exchange = (): Insn[] => [movReg(0, 1), storeImm("dw", 10, -40, 0x1234567b), cmpxchg32(10, -36, 0)];
// The same behind a branch both of whose sides meet again: the cmpxchg side is explored second.
// if w0 < 0xffffffff goto +1; goto +1; cmpxchg; w1 += 0 (the join, a prune point)
const exchangeOnBranch = (): Insn[] => [movReg(0, 1), storeImm("dw", 10, -40, 0x1234567b), jlt32Imm(0, -1, 1), ja(1), cmpxchg32(10, -36, 0), add32Imm(1, 0)];

// r6 = ctx; r1 = *(u64 *)(data + 0) after a bounds check (a value the verifier does not know).
const prologue = (): Insn[] => [movReg(6, 1), load("w", 2, 6, XdpMd.data), load("w", 3, 6, XdpMd.data_end), movReg(4, 2), addImm(4, 16), jgtReg(4, 3, 0), load("dw", 1, 2, 0)];
// *(u64 *)(data + 8) = r0 (a 64-bit read of r0); return XDP_PASS.
const epilogue = (): Insn[] => [load("w", 2, 6, XdpMd.data), load("w", 3, 6, XdpMd.data_end), movReg(4, 2), addImm(4, 16), jgtReg(4, 3, 1), store("dw", 2, 8, 0), movImm(0, XDP_PASS), exit()];

interface Reproducer {
  readonly name: string;
  readonly program: Program;
  // Index of the cmpxchg instruction (no two-slot instructions in these programs).
  readonly cmpxchgPc: number;
}

function inMain(name: string, code: Insn[]): Reproducer {
  const head = prologue();
  const program = [...head, ...code, ...epilogue()];
  // The bounds check jumps to `return XDP_PASS`, two slots before the end.
  program[5] = jgtReg(4, 3, program.length - 2 - 6);
  return { name, program, cmpxchgPc: head.length + code.findIndex((i) => i.imm === AtomicOp.CMPXCHG && i.opcode === (Class.STX | Mode.ATOMIC | Size.W)) };
}

// main: prologue; call sub; epilogue. sub: the code; exit.
function inSubprogram(name: string, code: Insn[]): Reproducer {
  const main = [...prologue(), callLocal(0), ...epilogue()];
  main[5] = jgtReg(4, 3, main.length - 2 - 6);
  const callPc = prologue().length;
  main[callPc] = callLocal(main.length - callPc - 1);
  const sub = [...code, exit()];
  return { name, program: [...main, ...sub], cmpxchgPc: main.length + sub.findIndex((i) => i.imm === AtomicOp.CMPXCHG && i.opcode === (Class.STX | Mode.ATOMIC | Size.W)) };
}

const straight = [inMain("main program, straight line", exchange()), inSubprogram("subprogram, straight line", exchange())];
const pruned = [inMain("main program, behind a branch", exchangeOnBranch()), inSubprogram("subprogram, behind a branch", exchangeOnBranch())];

const r0Written = (packet: Uint8Array): bigint => readU64le(packet, 8);

describe("32-bit cmpxchg and r0's upper half", () => {
  it.each([...straight, ...pruned])("the interpreter zero-extends the old value into r0 ($name)", ({ program }) => {
    const result = runXdp(program, PACKET);
    expect(result.fault).toBeUndefined();
    expect(result.action).toBe(XDP_PASS);
    expect(r0Written(result.packetOut)).toBe(RFC_R0);
  });
});

describe.skipIf(!kernelAvailable)("32-bit cmpxchg and r0's upper half in the kernel (x86-64 JIT)", () => {
  it.each(straight)("a cmpxchg the verifier walks to the 64-bit read gets its zero-extension: r0 = 0 ($name)", ({ program }) =>
    withKernel((k) => {
      const loaded = k.loadProgram({ program, name: "cmpxchg_zext" });
      const info = k.programInfo(loaded);
      // One instruction more than loaded: the `w0 = w0` the verifier put after the cmpxchg.
      expect(info.xlatedInsns).toBe(program.length + 1);
      expect(r0Written(k.testRunXdp(loaded, { packet: PACKET }).packet)).toBe(RFC_R0);
    }));

  it.each(pruned)("on a pruned path the verifier adds no zero-extension and r0 keeps its upper half ($name)", ({ program, cmpxchgPc }) =>
    withKernel((k) => {
      const loaded = k.loadProgram({ program, name: "cmpxchg_zext", logLevel: 2 });
      // The mechanism: the path through the cmpxchg is pruned ("N: safe", r0 not being precise)
      // before the verifier reaches the 64-bit store of r0 that would have asked for the zero-extension.
      const log = loaded.verifierLog;
      const fromCmpxchg = log.slice(log.indexOf(`\n${cmpxchgPc}: (c3) r0 = atomic_cmpxchg((u32 *)(r10 -36), r0, r0)`));
      expect(fromCmpxchg.length, "the verifier walked the cmpxchg").toBeLessThan(log.length);
      const prunedAt = fromCmpxchg.search(/\n\d+: safe\n/);
      expect(prunedAt, "the path through the cmpxchg is pruned").toBeGreaterThan(0);
      expect(fromCmpxchg.slice(0, prunedAt)).not.toContain("(7b) *(u64 *)(r2 +8) = r0");
      const zeroExtended = k.programInfo(loaded).xlatedInsns === program.length + 1;
      const r0 = r0Written(k.testRunXdp(loaded, { packet: PACKET }).packet);
      if (zeroExtended) {
        console.warn("\n*** this kernel zero-extends r0 after a pruned 32-bit cmpxchg: the exclusion in docs/kernel.md can be lifted ***\n");
        expect(r0).toBe(RFC_R0);
      } else {
        // The successful exchange left RAX's upper half: r0 as it was before the cmpxchg.
        expect(r0).toBe(UPPER_BIT);
      }
    }));
});
