// The per-instruction facts later stages read: joined over every visit,
// live registers, stack slot contents, reachability. Expected values are
// worked out by hand from the program text.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import { verify } from "../../src/verifier/index.ts";

describe("per-instruction facts", () => {
  // r0 = 1 or r0 = 7 (by the queue index), then both paths meet at insn 5.
  const join = assemble(`
    r2 = *(u32 *)(r1 + 16)
    r0 = 1
    if r2 == 0 goto meet
    r0 = 7
    r3 = r10
  meet:
    r0 &= 7
    exit
  `);

  it("joins the values of both paths where they meet", () => {
    const facts = verify(join, []).insns.find((i) => i.pc === 5)!;
    expect(facts.reachable).toBe(true);
    expect(facts.regs[0]).toMatchObject({ kind: "scalar", range: { umin: 1n, umax: 7n, smin: 1n, smax: 7n } });
    // r3 is a stack pointer on one path and unset on the other.
    expect(facts.regs[3]).toEqual({ kind: "mixed", types: ["fp", "not_init"] });
    // The queue index is a u32.
    expect(facts.regs[2]).toMatchObject({ kind: "scalar", range: { umin: 0n, umax: 0xffffffffn } });
    // Only r0 is read from here on.
    expect(facts.liveRegs).toEqual([0]);
  });

  it("records packet pointers with their proven range and offset", () => {
    const program = assemble(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = r2
      r4 += 14
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 13)
      exit
    out:
      r0 = 1
      exit
    `);
    const atLoad = verify(program, []).insns.find((i) => i.pc === 5)!;
    expect(atLoad.regs[2]).toMatchObject({ kind: "ptr", type: "pkt", packetRange: 14, offset: { umin: 0n, umax: 0n } });
    expect(atLoad.regs[4]).toMatchObject({ kind: "ptr", type: "pkt", packetRange: 14, offset: { umin: 14n, umax: 14n } });
    expect(atLoad.regs[3]).toMatchObject({ kind: "ptr", type: "pkt_end" });
  });

  it("describes stack slots byte by byte: a spilled constant, a partial write, zeros", () => {
    const program = assemble(`
      r1 = 5
      *(u64 *)(r10 - 8) = r1
      *(u16 *)(r10 - 14) = r1
      *(u32 *)(r10 - 24) = 0
      r0 = 0
      exit
    `);
    const atExit = verify(program, []).insns.find((i) => i.pc === 5)!;
    expect(atExit.stack).toEqual([
      // fp-8: a spilled register (8 bytes), the constant 5.
      { offset: -8, bytes: "rrrrrrrr", spilled: { kind: "scalar", range: { umin: 5n, umax: 5n, smin: 5n, smax: 5n, bitsValue: 5n, bitsMask: 0n } } },
      // fp-16: bytes fp-14 and fp-13 written (misc); byte index 0 is fp-9, so they are indices 4 and 5.
      { offset: -16, bytes: "????mm??" },
      // fp-24: a 4-byte immediate store at an 8-aligned offset is a spill of the constant 0 in the slot's low 4 bytes.
      { offset: -24, bytes: "????rrrr", spilled: { kind: "scalar", range: { umin: 0n, umax: 0n, smin: 0n, smax: 0n, bitsValue: 0n, bitsMask: 0n } } },
    ]);
  });

  it("marks instructions after an always-taken branch unreachable", () => {
    const program = assemble(`
      r1 = 1
      if r1 == 1 goto done
      r0 = 2
    done:
      r0 = 1
      exit
    `);
    const result = verify(program, []);
    expect(result.accepted).toBe(true);
    expect(result.insns.map((i) => i.reachable)).toEqual([true, true, false, true, true]);
  });
});
