// A spilled pointer's bytes are its address, which differs between host and
// NIC: only a whole aligned 8-byte reload gives the pointer back on both. Each
// program below reads or tears those bytes some other way; the compiler must
// keep that instruction on the host and the outcome must be the host's.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/index.ts";
import { checkCapabilities } from "../../src/offload/capability.ts";
import { compileSingle, expectSame } from "./harness.ts";
import { preset } from "./corpus.ts";

const nfp = preset();
const packet = Uint8Array.from({ length: 64 }, (_, i) => i);

// [name, program, pc the host must take over at]
const cases: [string, string, number][] = [
  ["a pointer stored as 4 bytes", `
    r6 = r1
    *(u32 *)(r10 - 8) = r6
    r0 = *(u32 *)(r10 - 8)
    exit`, 1],
  ["the low half of a spilled pointer read back", `
    r6 = r1
    *(u64 *)(r10 - 8) = r6
    r0 = *(u32 *)(r10 - 8)
    exit`, 2],
  ["one byte of a spilled packet pointer", `
    r6 = *(u32 *)(r1 + 0)
    *(u64 *)(r10 - 8) = r6
    r0 = *(u8 *)(r10 - 5)
    exit`, 2],
  ["a pointer spilled at an unaligned offset", `
    r6 = *(u32 *)(r1 + 0)
    *(u64 *)(r10 - 12) = r6
    r0 = *(u32 *)(r10 - 12)
    exit`, 1],
  ["half of a spilled stack pointer overwritten", `
    r6 = r10
    *(u64 *)(r10 - 8) = r6
    *(u32 *)(r10 - 8) = 0
    r0 = *(u64 *)(r10 - 8)
    r0 >>= 32
    exit`, 2],
  ["a pointer spilled on one path only, read in part after the paths meet", `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 2
    if r4 > r3 goto +6
    r5 = *(u8 *)(r2 + 1)
    if r5 == 0 goto +1
    *(u64 *)(r10 - 8) = r1
    r0 = *(u32 *)(r10 - 8)
    r0 &= 0xff
    exit
    r0 = 1
    exit`, 8],
  ["a stale packet pointer returned after bpf_xdp_adjust_head", `
    r6 = r1
    r7 = *(u32 *)(r6 + 0)
    r1 = r6
    r2 = 4
    call 44
    r0 = r7
    r0 &= 0xffff
    exit`, 6],
];

describe("bytes of a spilled pointer", () => {
  for (const [name, text, hostPc] of cases) {
    it(`${name}: the NIC leaves it to the host and the outcome is the host's`, () => {
      const program = assemble(text);
      const pcs = checkCapabilities(program, [], nfp).blockers.filter((b) => b.rule === "pointerValue").map((b) => b.pc);
      expect(pcs).toContain(hostPc);
      expectSame(program, compileSingle(program), packet);
    });
  }

  // clang reuses the stack slot of a spill that is no longer needed for narrower data.
  it("runs narrow stores over a pointer's slot on the NIC once nothing reads the pointer's other bytes", () => {
    const program = assemble(`
      r6 = *(u32 *)(r1 + 0)
      *(u64 *)(r10 - 8) = r6
      r6 = *(u64 *)(r10 - 8)
      r0 = *(u8 *)(r6 + 0)
      *(u32 *)(r10 - 8) = r0
      *(u16 *)(r10 - 4) = 7
      r0 = *(u32 *)(r10 - 8)
      r0 &= 3
      exit`);
    expect(checkCapabilities(program, [], nfp).blockers.map((b) => b.pc)).not.toContain(4);
    expect(checkCapabilities(program, [], nfp).blockers.map((b) => b.pc)).not.toContain(6);
    const cmp = expectSame(program, compileSingle(program), packet);
    expect(cmp.nicRun.hostExit).toBeUndefined();
  });

  it("still runs a whole 8-byte spill and reload of a pointer on the NIC", () => {
    const program = assemble(`
      r6 = *(u32 *)(r1 + 0)
      r7 = *(u32 *)(r1 + 4)
      *(u64 *)(r10 - 8) = r6
      *(u64 *)(r10 - 16) = r7
      r6 = *(u64 *)(r10 - 8)
      r7 = *(u64 *)(r10 - 16)
      r6 += 14
      r0 = 1
      if r6 > r7 goto +1
      r0 = 2
      exit`);
    expect(checkCapabilities(program, [], nfp).blockers).toEqual([]);
    const cmp = expectSame(program, compileSingle(program), packet);
    expect(cmp.nicRun.hostExit).toBeUndefined();
  });
});
