import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { run, hex, arrayMap, hashMap, u32, executorFor } from "./helpers.ts";
import { REGISTER_POISON, Executor } from "../../hw-model/exec/executor.ts";
import { loadPreset, execParamsOf, assemble } from "../../hw-model/index.ts";
import { TraceWriter, describeTrace } from "../../hw-model/exec/trace.ts";

const M32 = 0xffffffffn;
const big = (hi: number, lo: number): bigint => (BigInt(u32(hi)) << 32n) | BigInt(u32(lo));
const toS64 = (x: bigint): bigint => BigInt.asIntN(64, x);

// Loads a 32-bit constant with immed + immed_w1 (the two-instruction idiom a compiler uses).
const li = (reg: string, value: number): string => `immed ${reg}, #${u32(value) & 0xffff}\nimmed_w1 ${reg}, #${u32(value) >>> 16}\n`;

// Ends the program by storing registers into the packet (so the result can be read from the packet bytes).
function storeAndPass(regs: string[]): string {
  let s = "csr_rd a14, data\n";
  regs.forEach((r, i) => {
    s += `mov x${i}, ${r}\n`;
  });
  s += `mem_wr x0, a14, #0, #${4 * regs.length}, s0, swap\nverdict pass\n`;
  return s;
}

function words(data: Uint8Array, count: number): number[] {
  const view = new DataView(data.buffer, data.byteOffset);
  return Array.from({ length: count }, (_, i) => view.getUint32(4 * i, false));
}

const u32arb = fc.integer({ min: 0, max: 0xffffffff });

describe("functional executor: 32-bit ALU as 64-bit building blocks", () => {
  it("adds 64-bit values with add/addc like BigInt does", () => {
    fc.assert(
      fc.property(u32arb, u32arb, u32arb, u32arb, (ah, al, bh, bl) => {
        const src = li("a0", al) + li("a1", ah) + li("b0", bl) + li("b1", bh) + "add a2, a0, b0\naddc a3, a1, b1\n" + storeAndPass(["a3", "a2"]);
        const { result } = run(src);
        const [hi, lo] = words(result.data, 2);
        expect(big(hi, lo)).toBe((big(ah, al) + big(bh, bl)) & ((1n << 64n) - 1n));
      }),
      { numRuns: 200 },
    );
  });

  it("subtracts 64-bit values with sub/subc and the flags order them like BigInt (signed and unsigned)", () => {
    const branches = ["bcs", "bcc", "bhi", "bls", "bge", "blt", "bgt", "ble"];
    fc.assert(
      fc.property(u32arb, u32arb, u32arb, u32arb, fc.constantFrom(...branches), (ah, al, bh, bl, br) => {
        // The Z flag of subc covers only the upper word, so equality-sensitive branches need lo == 0 or a check;
        // only the bcs/bcc/bge/blt family is exact on a pair; for the others we compare 32-bit values.
        const exactOnPair = br === "bcs" || br === "bcc" || br === "bge" || br === "blt";
        const src = exactOnPair
          ? li("a0", al) + li("a1", ah) + li("b0", bl) + li("b1", bh) + `sub a2, a0, b0\nsubc a3, a1, b1\nimmed b5, #0\n${br} yes\nbr out\nyes: immed b5, #1\nout:\n` + storeAndPass(["a3", "a2", "b5"])
          : li("a0", al) + li("b0", bl) + `sub a2, a0, b0\nimmed b5, #0\n${br} yes\nbr out\nyes: immed b5, #1\nout:\nimmed a3, #0\n` + storeAndPass(["a3", "a2", "b5"]);
        const { result } = run(src);
        const [hi, lo, taken] = words(result.data, 3);
        if (exactOnPair) {
          const a = big(ah, al);
          const b = big(bh, bl);
          expect(big(hi, lo)).toBe((a - b) & ((1n << 64n) - 1n));
          const expected = { bcs: a < b, bcc: a >= b, bge: toS64(a) >= toS64(b), blt: toS64(a) < toS64(b) }[br as "bcs"];
          expect(taken === 1, `${br} on ${a} vs ${b}`).toBe(expected);
        } else {
          const a = BigInt(u32(al));
          const b = BigInt(u32(bl));
          const sa = BigInt(al | 0);
          const sb = BigInt(bl | 0);
          const expected = { bhi: a > b, bls: a <= b, bgt: sa > sb, ble: sa <= sb }[br as "bhi"];
          expect(taken === 1, `${br} on ${a} vs ${b}`).toBe(expected);
          expect(BigInt(lo)).toBe((a - b) & M32);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("shifts a 64-bit pair with dbl_shr like BigInt", () => {
    fc.assert(
      fc.property(u32arb, u32arb, fc.integer({ min: 1, max: 31 }), (hi, lo, n) => {
        const src = li("a0", hi) + li("b0", lo) + `dbl_shr a1, a0, b0, #${n}\nshr a2, a0, #${n}\n` + storeAndPass(["a2", "a1"]);
        const [rhi, rlo] = words(run(src).result.data, 2);
        expect(big(rhi, rlo)).toBe(big(hi, lo) >> BigInt(n));
      }),
      { numRuns: 200 },
    );
  });

  it("computes 32x32 products in steps like BigInt", () => {
    fc.assert(
      fc.property(u32arb, u32arb, (a, b) => {
        const src = li("a0", a) + li("b0", b) + "mul_start a0, b0\nmul_step\nmul_step\nmul_step\nmul_step\nmul_lo a1\nmul_hi a2\n" + storeAndPass(["a2", "a1"]);
        const [hi, lo] = words(run(src).result.data, 2);
        expect(big(hi, lo)).toBe(BigInt(u32(a)) * BigInt(u32(b)));
      }),
      { numRuns: 300 },
    );
  });

  it("shifts, rotates and extracts bytes like the JS operators", () => {
    fc.assert(
      fc.property(u32arb, fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 3 }), (a, n, byte) => {
        const src = li("a0", a) + li("b0", n) + `shl a1, a0, b0\nshr a2, a0, b0\nasr a3, a0, b0\nrol a4, a0, b0\nbyte_ext a5, a0, #${byte}\n` + storeAndPass(["a1", "a2", "a3", "a4", "a5"]);
        const got = words(run(src).result.data, 5);
        const rol = n === 0 ? u32(a) : u32((a << n) | (a >>> (32 - n)));
        expect(got).toEqual([u32(a << n), a >>> n, u32(a >> n), rol, (a >>> (8 * byte)) & 0xff]);
      }),
      { numRuns: 200 },
    );
  });

  it("byte-swaps a word with ld_field merges (the sequence a compiler emits for bswap32)", () => {
    // d.byte0..3 = a.byte3..0: a rotated right by 24 has a.byte3 in byte 0 and a.byte1 in byte 2;
    // rotated right by 8 it has a.byte2 in byte 1 and a.byte0 in byte 3.
    const src = li("a0", 0x11223344) + "ld_field b1, #5, a0, #24\nld_field b1, #10, a0, #8\n" + storeAndPass(["b1"]);
    expect(words(run(src).result.data, 1)).toEqual([0x44332211]);
  });

  it("sets carry, overflow, zero and negative flags as documented", () => {
    // 0x7fffffff + 1 overflows (V) and is negative (N), no carry; 0xffffffff + 1 carries and is zero.
    // Each flag is recorded with immed, which leaves the flags alone (every ALU op sets them).
    const src =
      li("a0", 0x7fffffff) +
      "immed b0, #1\nadd a1, a0, b0\nimmed b2, #0\nimmed b4, #0\nimmed b6, #0\nbvc n1\nimmed b2, #1\nn1: bpl n2\nimmed b4, #1\nn2: bcc n3\nimmed b6, #1\nn3:\n" +
      li("a3", 0xffffffff) +
      "add a4, a3, b0\nimmed b3, #0\nimmed b5, #0\nbne m1\nimmed b3, #1\nm1: bcc m2\nimmed b5, #1\nm2:\n" +
      storeAndPass(["b2", "b4", "b6", "b3", "b5"]);
    expect(words(run(src).result.data, 5)).toEqual([1, 1, 0, 1, 1]);
  });
});

describe("functional executor: memory", () => {
  // Ethernet header with EtherType 0x0800 at bytes 12..13, then bytes 14.. of IPv4.
  const packet = Uint8Array.from({ length: 64 }, (_, i) => i);

  it("reads packet bytes big-endian into transfer registers, sub-word reads right-aligned", () => {
    const src = "csr_rd a0, data\nmem_rd x0, a0, #12, #2, s1\nmem_rd x1, a0, #0, #8, s2\nmem_rd x3, a0, #5, #1, s3\nctx_arb s1, s2, s3\n" + storeAndPass(["x0", "x1", "x2", "x3"]);
    expect(words(run(src, packet).result.data, 4)).toEqual([0x0c0d, 0x00010203, 0x04050607, 0x05]);
  });

  it("byte-swaps each word for .le commands", () => {
    const src = "csr_rd a0, data\nmem_rd.le x0, a0, #12, #2, s1, swap\nmem_rd.le x1, a0, #0, #8, s2, swap\n" + storeAndPass(["x0", "x1", "x2"]);
    expect(words(run(src, packet).result.data, 3)).toEqual([0x0d0c, 0x03020100, 0x07060504]);
  });

  it("faults with the pc when a read runs past the end of the packet", () => {
    const src = "csr_rd a0, data\nmem_rd x0, a0, #60, #8, s1, swap\nverdict pass\n";
    const { result } = run(src, packet);
    expect(result.outcome).toMatchObject({ kind: "fault", pc: 1, stage: 0 });
    expect(result.outcome.kind === "fault" && result.outcome.message).toContain("outside the packet");
  });

  it("faults when a transfer register is read before its signal was waited for", () => {
    const { result } = run("csr_rd a0, data\nmem_rd x0, a0, #0, #4, s1\nmov a1, x0\nctx_arb s1\nverdict pass", packet);
    expect(result.outcome).toMatchObject({ kind: "fault", pc: 2 });
    expect(result.outcome.kind === "fault" && result.outcome.message).toContain("x0 is read before signal s1");
  });

  it("faults when a thread waits for a signal no command will raise, or ends with one in flight", () => {
    expect(run("ctx_arb s3\nverdict drop").result.outcome).toMatchObject({ kind: "fault", pc: 0 });
    const ended = run("csr_rd a0, data\nmem_rd x0, a0, #0, #4, s1\nverdict drop", packet).result.outcome;
    expect(ended.kind === "fault" && ended.message).toContain("s1 still in flight");
  });

  it("writes the packet and reports the final bytes", () => {
    const src = "csr_rd a0, data\nimmed x0, #0xbeef\nmem_wr x0, a0, #2, #2, s0, swap\nverdict tx";
    const { result } = run(src, packet);
    expect(result.outcome).toEqual({ kind: "verdict", action: 3, stage: 0 });
    expect(hex(result.data.subarray(0, 6))).toBe("0001beef0405");
  });

  it("loads and stores local memory big-endian at base + offset, and faults outside the window", () => {
    const src = "immed a0, #16\nlm_base l0, a0\n" + li("b0", 0xa1b2c3d4) + "lm_st l0, #-4, b0, #4\nlm_ld a1, l0, #-3, #2\nlm_ld a2, l0, #-1, #1\n" + storeAndPass(["a1", "a2"]);
    expect(words(run(src).result.data, 2)).toEqual([0xb2c3, 0xd4]);
    const bad = run("immed a0, #510\nlm_base l0, a0\nlm_ld a1, l0, #0, #4\nverdict drop").result.outcome;
    expect(bad).toMatchObject({ kind: "fault", pc: 2 });
  });

  it("stops a loop that never ends at the instruction budget", () => {
    const { result } = run("loop: br loop");
    expect(result.outcome.kind === "fault" && result.outcome.message).toContain("more than 10000 instructions");
  });

  it("faults on falling off the end of a stage and on a null pointer", () => {
    expect(run("nop").result.outcome).toMatchObject({ kind: "fault", pc: 1 });
    const nul = run("immed a0, #0\nmem_rd x0, a0, #0, #4, s0, swap\nverdict drop").result.outcome;
    expect(nul.kind === "fault" && nul.message).toContain("null pointer");
  });
});

describe("functional executor: maps through firmware routines", () => {
  it("counts into an array map with lookup + atomic add, and the map (src/maps) shows the count", () => {
    const counters = arrayMap(8, 4);
    // key = 2 on the stack (LM) in little-endian, as eBPF stores a u32.
    const src =
      "immed a0, #0\nlm_base l0, a0\nimmed b0, #0x0200\nlm_st l0, #0, b0, #2\nimmed b1, #0\nlm_st l0, #2, b1, #2\n" +
      li("a1", 0x30000000) +
      "fwcall map_lookup a2, #0, a1\nsub --, a2, #0\nbeq miss\nimmed x0, #5\nimmed x1, #0\nmem_add.le x0, a2, #0, #8, s1, swap\nverdict pass\nmiss: verdict drop\n";
    for (let i = 0; i < 3; i++) expect(run(src, new Uint8Array(64), [counters]).result.outcome).toMatchObject({ action: 2 });
    const value = counters.lookup(Uint8Array.of(2, 0, 0, 0), 0)!;
    expect(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)).toBe(15n);
  });

  it("misses in a hash map (null pointer) until an update inserts the key", () => {
    const table = hashMap(4, 4, 16);
    // key and value both from the packet: key = bytes 0..3, value = bytes 4..7.
    const lookup = "csr_rd a0, data\nfwcall map_lookup a1, #0, a0\nsub --, a1, #0\nbeq miss\nmem_rd x0, a1, #0, #4, s0, swap\n" + storeAndPass(["x0"]).replace("verdict pass", "verdict tx") + "miss: verdict drop\n";
    const pkt = Uint8Array.from([1, 2, 3, 4, 9, 8, 7, 6, ...new Uint8Array(56)]);
    expect(run(lookup, pkt, [table]).result.outcome).toMatchObject({ action: 1 });
    const insert = "csr_rd a0, data\nadd b0, a0, #4\nimmed a2, #0\nfwcall map_update a1, #0, a0, b0, a2\n" + storeAndPass(["a1"]);
    const inserted = run(insert, pkt, [table]).result;
    expect(words(inserted.data, 1)).toEqual([0]);
    const found = run(lookup, pkt, [table]).result;
    expect(found.outcome).toMatchObject({ action: 3 });
    expect(words(found.data, 1)).toEqual([0x09080706]);
    expect(hex(table.lookup(Uint8Array.of(1, 2, 3, 4), 0)!)).toBe("09080706");
  });

  it("returns the kernel's errno from an update with BPF_NOEXIST on a present key", () => {
    const table = hashMap(4, 4, 16);
    table.update(Uint8Array.of(1, 2, 3, 4), Uint8Array.of(0, 0, 0, 0), 0, 0);
    const src = "csr_rd a0, data\nimmed a2, #1\nfwcall map_update a1, #0, a0, a0, a2\n" + storeAndPass(["a1"]);
    const pkt = Uint8Array.from([1, 2, 3, 4, ...new Uint8Array(60)]);
    // EEXIST = 17 (include/uapi/asm-generic/errno-base.h).
    expect(words(run(src, pkt, [table]).result.data, 1)).toEqual([u32(-17)]);
  });

  it("charges a hash lookup more than a direct array lookup", () => {
    const cycles = (lines: string[]): number => lines.filter((l) => l.startsWith("run")).reduce((s, l) => s + Number(l.split(" ")[1]), 0);
    const mems = (lines: string[]): string[] => lines.filter((l) => l.startsWith("mem"));
    const src = "csr_rd a0, data\nfwcall map_lookup a1, #0, a0\nverdict drop";
    const arr = run(src, new Uint8Array(64), [arrayMap(4, 4)]).trace;
    const table = hashMap(4, 4, 4);
    const hashTrace = run(src, new Uint8Array(64), [table]).trace;
    // Array: the key read from the packet is the only memory command.
    expect(mems(arr)).toEqual(["mem read packet-head 4B s15"]);
    // Hash (miss): key read, lock taken (atomic), one entry line read, lock released.
    expect(mems(hashTrace)).toEqual(["mem read packet-head 4B s15", "mem atomic unit7 8B s15", "mem read unit7 64B s15", "mem atomic unit7 8B s15"]);
    expect(cycles(hashTrace)).toBeGreaterThan(cycles(arr) - 5);
  });
});

describe("functional executor: stages and traces", () => {
  it("carries the live registers and local-memory bytes to the next stage, poisoning the rest", () => {
    const stage0 = "immed a0, #0x1111\nimmed b3, #0x2222\nimmed a5, #0x3333\nimmed a1, #0\nlm_base l0, a1\nimmed b1, #0xabcd\nlm_st l0, #8, b1, #2\nhandover #1, #0x00080001, #8, #2\n";
    const stage1 = "immed a1, #0\nlm_base l0, a1\nlm_ld a2, l0, #8, #2\nlm_ld a3, l0, #0, #1\n" + storeAndPass(["a0", "b3", "a5", "a2", "a3"]);
    const exec = executorFor([stage0, stage1]);
    const trace = new TraceWriter();
    const result = exec.runPacket({ data: new Uint8Array(64) }, trace);
    expect(result.stagePath).toEqual([0, 1]);
    expect(words(result.data, 5)).toEqual([0x1111, 0x2222, u32(REGISTER_POISON), 0xabcd, 0xa5]);
    // Stage 0: 8 instructions; the handover carries 2 registers (8 bytes) + 2 LM bytes + the 16-byte descriptor.
    expect(describeTrace(trace.buf, trace.length).slice(0, 4)).toEqual(["stage 0", "run 8", "end handover 1 26B", "stage 1"]);
  });

  it("writes a work trace of runs, memory commands and waits that adds up the issued instructions", () => {
    const ipv4 = new Uint8Array(64);
    ipv4[12] = 0x08;
    const { trace } = run("csr_rd a0, data\nmem_rd x0, a0, #12, #2, s1\nnop\nctx_arb s1\nsub --, x0, #0\nbne out\nnop\nout: verdict drop", ipv4);
    // 2 instructions up to the command, 2 more up to the wait, then sub, bne (taken, as x0 = 0x0800: +2 penalty), verdict.
    expect(trace).toEqual(["stage 0", "run 2", "mem read packet-head 2B s1", "run 2", "wait 0x2", "run 5", "end verdict 1 64B"]);
  });

  it("reaches the tail of a long packet in external memory", () => {
    const { trace } = run("csr_rd a0, data\nmem_rd x0, a0, #100, #4, s1, swap\nverdict drop", new Uint8Array(200));
    expect(trace).toContain("mem read packet-tail 4B s1");
  });

  it("hands a packet to the host with its live state", () => {
    const { result } = run("immed a3, #77\nto_host #0x00000008, #0, #4\n");
    expect(result.outcome.kind).toBe("host");
    if (result.outcome.kind === "host") {
      expect(result.outcome.registers[3]).toBe(77);
      expect(result.outcome.liveMask).toBe(8);
    }
  });

  it("takes the verdict from a register like an eBPF return value", () => {
    expect(run("immed a0, #2\nverdict a0").result.outcome).toEqual({ kind: "verdict", action: 2, stage: 0 });
  });
});

describe("functional executor: packet routines", () => {
  it("moves the data start with adjust_head within the kernel's limits", () => {
    const grow = run("immed a0, #0\nsub a0, a0, #4\nfwcall adjust_head a1, a0\ncsr_rd a2, pkt_len\n" + storeAndPass(["a1", "a2"]), new Uint8Array(64));
    expect(words(grow.result.data, 2)).toEqual([0, 68]);
    // Shrinking below an Ethernet header is refused with -EINVAL.
    const shrink = run("immed a0, #60\nfwcall adjust_head a1, a0\n" + storeAndPass(["a1"]), new Uint8Array(64));
    expect(words(shrink.result.data, 1)).toEqual([u32(-22)]);
  });

  it("keeps the packet start inside the NFP firmware's adjust_head window (off_min 44 .. off_max 248)", () => {
    const preset = loadPreset("nfp-4000");
    const params = execParamsOf(preset);
    const shrink = (delta: number): number => {
      const exec = new Executor({ stages: [assemble(`immed a0, #${delta}\nfwcall adjust_head a1, a0\n` + storeAndPass(["a1"]))], maps: [], pcieTarget: 0 }, params, 1);
      return words(exec.runPacket({ data: new Uint8Array(300) }).data, 1)[0];
    };
    // Data starts at 128 (headroom); +120 reaches 248, +121 would pass off_max. EINVAL = 22.
    expect(shrink(120)).toBe(0);
    expect(shrink(121)).toBe(u32(-22));
    // Growing by the guaranteed 84 bytes always works; below off_min (44) it does not.
    const grow = (delta: number): number => {
      const exec = new Executor({ stages: [assemble(`immed a0, #0\nsub a0, a0, #${delta}\nfwcall adjust_head a1, a0\n` + storeAndPass(["a1"]))], maps: [], pcieTarget: 0 }, params, 1);
      return words(exec.runPacket({ data: new Uint8Array(64) }).data, 1)[0];
    };
    expect(grow(preset.offload.adjustHeadGuaranteedSubBytes)).toBe(0);
    expect(grow(85)).toBe(u32(-22));
  });

  it("zeroes bytes exposed by growing the tail", () => {
    const { result } = run("immed a0, #4\nfwcall adjust_tail a1, a0\nverdict pass", Uint8Array.from({ length: 20 }, () => 0xff));
    expect(hex(result.data)).toBe("ff".repeat(20) + "00000000");
  });
});
