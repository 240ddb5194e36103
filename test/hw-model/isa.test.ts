import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assemble } from "../../hw-model/isa/asm.ts";
import { disassemble } from "../../hw-model/isa/disasm.ts";
import { opTable, Op, Flag, opInfo } from "../../hw-model/isa/opcode.ts";
import { mk, microprogram, validateInsn, type MicroInsn } from "../../hw-model/isa/instruction.ts";
import { IMM, NONE, A0, B0, X0 } from "../../hw-model/isa/register.ts";
import { fwRoutines } from "../../hw-model/isa/fwcall.ts";
import { Verdict } from "../../hw-model/isa/verdict.ts";
import { MicrocodeAsmError } from "../../hw-model/errors.ts";
import { XdpAction } from "../../src/xdp/layout.ts";

// One line per instruction form, in the syntax the docs give.
const everyForm = `
start:
    nop
    add a0, a1, b2
    addc a3, #7, b4
    sub --, a5, #255
    subc b1, a2, b3
    and a4, a5, b6
    or a6, x1, b7
    xor b8, a9, #1
    andn a10, a11, b12
    not a12, b13
    mov b14, #200
    shl a0, a1, #31
    shr a0, a1, b1
    asr b0, a2, #4
    rol b1, a3, b3
    dbl_shr a0, a1, b1, #8
    dbl_shr a0, a1, b1, a2
    byte_ext a0, b1, #3
    ld_field a0, #5, b1, #8
    mul_start a0, b0
    mul_step
    mul_step
    mul_step
    mul_step
    mul_lo a1
    mul_hi b1
    immed a0, #0xffff, <<16
    immed_w1 a0, #0x1234
    br next
next:
    beq start
    bne start
    bmi start
    bpl start
    bcs start
    bcc start
    bvs start
    bvc start
    bhi start
    bls start
    bge start
    blt start
    bgt start
    ble start
    br_bset a0, #31, start
    br_bclr b2, #0, start
    bal a15, start
    rtn a15
    lm_base l1, a0
    lm_ld a1, l1, #-8, #4
    lm_st l0, #2047, b1, #2
    mem_rd x0, a0, #14, #2, s1, swap
    mem_rd.le x2, b0, #-4, #8, s2
    mem_wr x0, a1, #0, #64, s3
    mem_add.le x0, a2, #8, #8, s4
    mem_tadd x1, a2, #0, #4, s5
    mem_tas x1, a2, #0, #4, s6, swap
    ctx_arb s2, s3, s4, s5
    fwcall map_lookup a0, #0, b1
    fwcall map_update a1, #3, a2, b2, a3
    fwcall map_delete b0, #1, a0
    fwcall random a0
    fwcall adjust_head a0, b0
    fwcall adjust_tail a0, b0
    fwcall perf_output a0, #2, a1, b1, a2, b2
    csr_rd a0, data
    csr_rd b0, data_end
    csr_rd a1, data_meta
    csr_rd a2, pkt_len
    csr_rd a3, ingress_ifindex
    csr_rd a4, rx_queue_index
    handover #1, #0x0000ffff, #0, #64
    to_host #0x80000001, #16, #32
    verdict drop
    verdict pass
    verdict tx
    verdict aborted
    verdict redirect
    verdict a0
`;

describe("microengine assembler and disassembler", () => {
  it("assembles every instruction form, and every opcode appears in it", () => {
    const program = assemble(everyForm);
    const seen = new Set(program.insns.map((i) => i.op));
    for (const info of opTable) expect(seen.has(info.op), info.mnemonic).toBe(true);
    const seenRoutines = new Set(program.insns.filter((i) => i.op === Op.FWCALL).map((i) => i.n));
    expect(seenRoutines.size).toBe(fwRoutines.length);
  });

  it("reads back its own disassembly to the same instructions", () => {
    const program = assemble(everyForm);
    const again = assemble(disassemble(program));
    expect(again.insns).toEqual(program.insns);
  });

  it("decodes operands into the documented fields", () => {
    const [insn] = assemble("mem_rd.le x3, b2, #-12, #8, s7, swap\n").insns;
    expect(insn).toEqual(mk(Op.MEM_RD, { d: X0 + 3, a: B0 + 2, imm: -12, c: 8, x: 7, flags: Flag.LE | Flag.SWAP }));
    const [alu] = assemble("sub --, a5, #255").insns;
    expect(alu).toEqual(mk(Op.SUB, { d: NONE, a: A0 + 5, b: IMM, imm: 255 }));
    const [arb] = assemble("ctx_arb s0, s15").insns;
    expect(arb.x).toBe(0x8001);
  });

  it("resolves labels, including labels on the same line as an instruction and forward ones", () => {
    const p = assemble("  br end ; forward\nloop: nop\nend: verdict drop");
    expect(p.insns[0].x).toBe(2);
    expect(p.labels.get("loop")).toBe(1);
  });

  it("takes XDP action codes from the kernel's enum xdp_action", () => {
    expect(Verdict).toEqual(XdpAction);
  });

  it.each([
    ["add a0, a1, a2", "1:1", "both in bank A"],
    ["add a0, b1, b2", "1:1", "both in bank B"],
    ["add a0, #1, #2", "1:1", "at most one source may be an immediate"],
    ["add a0, a1, #256", "1:1", "8-bit"],
    ["frob a0", "1:1", "unknown instruction 'frob'"],
    ["nop\n  br nowhere", "2:6", "label 'nowhere' is not defined"],
    ["x: nop\nx: nop", "2:1", "defined twice"],
    ["  shl a0, a1, #32", "1:3", "outside 0..31"],
    ["mem_rd x15, a0, #0, #8, s0", "1:1", "run past x15"],
    ["mem_rd x0, a0, #0, #3, s0", "1:1", "size 3"],
    ["mem_add x0, a0, #0, #2, s0", "1:1", "4 or 8 bytes"],
    ["mem_rd x0, a0, #0, #4, s16", "1:24", "not a signal"],
    ["add.le a0, a1, b1", "1:1", "unknown suffix"],
    ["fwcall map_lookup a0, #0", "1:1", "expects 3 operands"],
    ["fwcall teleport a0", "1:8", "not a firmware routine"],
    ["verdict maybe", "1:9", "neither an action"],
    ["immed a0, #0x10000", "1:1", "16 bits"],
    ["immed a0, #1, <<4", "1:1", "must be 0, 8 or 16"],
    ["lm_ld a0, l2, #0, #4", "1:11", "not a local-memory index register"],
    ["lm_ld a0, l0, #0, #3", "1:1", "width 3"],
    ["handover #0, #0x100000000, #0, #0", "1:14", "does not fit 32 bits"],
    ["add a0, a1,, b1", "1:12", "empty operand"],
  ])("rejects %j at %s", (source, position, message) => {
    let error: unknown;
    try {
      assemble(source, "t.s");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MicrocodeAsmError);
    expect((error as Error).message).toContain(`t.s:${position}:`);
    expect((error as Error).message).toContain(message);
  });

  it("answers any text with a program or a MicrocodeAsmError, never another exception", () => {
    const words = ["add", "mem_rd", "x0", "a1", "b2", "#3", "#-1", "s1", "swap", "l0", ",", ":", "lab", "--", "verdict", "drop", "fwcall", "map_lookup", "ctx_arb", ".le", "\n", " ", "#0x", "<<8", "immed"];
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.constantFrom(...words), { maxLength: 14 }).map((w) => w.join(" "))), (text) => {
        try {
          assemble(text);
        } catch (e) {
          if (!(e instanceof MicrocodeAsmError)) throw new Error(`input ${JSON.stringify(text)} threw ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Random valid instructions survive disassembly and reassembly unchanged.
  const reg = fc.integer({ min: 0, max: 47 });
  const gprA = fc.integer({ min: 0, max: 15 });
  const gprB = fc.integer({ min: 16, max: 31 });
  const arbitraryInsn: fc.Arbitrary<MicroInsn> = fc.oneof(
    fc.record({ op: fc.constantFrom(Op.ADD, Op.SUB, Op.AND, Op.XOR, Op.ADDC), d: reg, a: gprA, b: gprB }).map((f) => mk(f.op, f)),
    fc.record({ op: fc.constantFrom(Op.ADD, Op.OR), d: reg, a: reg, imm: fc.integer({ min: 0, max: 255 }) }).map((f) => mk(f.op, { d: f.d, a: f.a, b: IMM, imm: f.imm })),
    fc.record({ op: fc.constantFrom(Op.SHL, Op.SHR, Op.ASR, Op.ROL), d: reg, a: gprA, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(f.op, f)),
    fc.record({ d: reg, imm: fc.integer({ min: 0, max: 0xffff }), n: fc.constantFrom(0, 8, 16) }).map((f) => mk(Op.IMMED, f)),
    fc
      .record({ d: fc.integer({ min: 32, max: 39 }), a: reg, imm: fc.integer({ min: -32768, max: 32767 }), c: fc.constantFrom(1, 2, 4, 8, 16, 32), x: fc.integer({ min: 0, max: 15 }), flags: fc.integer({ min: 0, max: 3 }) })
      .map((f) => mk(Op.MEM_RD, f)),
    fc.record({ n: fc.integer({ min: 0, max: 255 }), imm: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), x: fc.integer({ min: 0, max: 256 }), c: fc.integer({ min: 0, max: 256 }) }).map((f) => mk(Op.HANDOVER, f)),
    fc.record({ d: reg, n: fc.integer({ min: 1, max: 15 }), b: reg, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(Op.LD_FIELD, f)),
  );

  it("round-trips random valid instructions through text", () => {
    fc.assert(
      fc.property(fc.array(arbitraryInsn, { minLength: 1, maxLength: 20 }), (insns) => {
        const program = microprogram([...insns, mk(Op.VERDICT, { n: 1 })]);
        const text = disassemble(program);
        expect(assemble(text).insns, text).toEqual(program.insns);
      }),
      { numRuns: 300 },
    );
  });

  it("has a row, a summary and an NFP counterpart for every opcode", () => {
    for (const info of opInfo) {
      expect(info.summary.length).toBeGreaterThan(4);
      expect(info.nfp.length).toBeGreaterThan(2);
    }
    expect(validateInsn(mk(99), 1)).toContain("does not exist");
  });
});
