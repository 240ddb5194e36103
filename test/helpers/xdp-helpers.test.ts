// The XDP buffer helpers at the kernel's limits. Expected limits are worked out
// from net/core/filter.c and net/bpf/test_run.c by hand:
//   the frame is one 4096-byte page; data starts at XDP_PACKET_HEADROOM = 256;
//   the first sizeof(struct xdp_frame) = 40 bytes stay reserved, so data (and
//   data_meta) can move back by at most 256 - 40 = 216 bytes;
//   the last SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) = 320 bytes are not
//   packet, so data_end may reach 4096 - 320 = 3776, a packet of 3776 - 256 = 3520;
//   at least ETH_HLEN = 14 bytes must remain.
// The same limits were seen on Linux 6.18 through BPF_PROG_TEST_RUN (bpftool prog run).
import { describe, expect, it } from "vitest";
import { AluOp, Size } from "../../src/ebpf/opcode.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";
import { R, alu64Imm, alu64Reg, callHelper, exit, lddw, ldx, mov64, movReg, program, st } from "../interp/program.ts";

const EINVAL = -22n;
const EACCES = -13n;
const EFAULT = -14n;
const packet64 = Uint8Array.from({ length: 64 }, (_, i) => i + 1);

// r0 = helper(ctx, offset)
const adjust = (helper: number, offset: number) => program(lddw(R.r2, BigInt.asUintN(64, BigInt(offset))), callHelper(helper), exit());

function call(helper: number, offset: number, metadata?: Uint8Array) {
  const outcome = runXdp(adjust(helper, offset), packet64, [], metadata ? { metadata } : {});
  if (outcome.result.kind !== "exit") throw new Error(outcome.result.message);
  return { r0: BigInt.asIntN(64, outcome.result.r0), packet: outcome.packetOut, metadata: outcome.metadataOut };
}

describe("bpf_xdp_adjust_head", () => {
  it("moves data back by up to 216 bytes, exposing zeroed headroom", () => {
    const { r0, packet } = call(HelperId.XDP_ADJUST_HEAD, -216);
    expect(r0).toBe(0n);
    expect(packet.length).toBe(280);
    expect(packet.subarray(216)).toEqual(packet64);
  });

  it("refuses 217 bytes (it would reach the xdp_frame)", () => {
    expect(call(HelperId.XDP_ADJUST_HEAD, -217)).toMatchObject({ r0: EINVAL, packet: packet64 });
  });

  it("pulls the head until 14 bytes are left, not further", () => {
    expect(call(HelperId.XDP_ADJUST_HEAD, 50)).toMatchObject({ r0: 0n, packet: packet64.subarray(50) });
    expect(call(HelperId.XDP_ADJUST_HEAD, 51)).toMatchObject({ r0: EINVAL, packet: packet64 });
  });

  it("carries the metadata along and counts it against the headroom", () => {
    const metadata = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const moved = call(HelperId.XDP_ADJUST_HEAD, -208, metadata);
    expect(moved.r0).toBe(0n);
    expect(moved.metadata).toEqual(metadata);
    expect(call(HelperId.XDP_ADJUST_HEAD, -209, metadata).r0).toBe(EINVAL);
  });

  it("takes the offset as a 32-bit int: upper register bits are ignored", () => {
    const slots = program(lddw(R.r2, 0x7_0000_0000n | BigInt.asUintN(32, -4n)), callHelper(HelperId.XDP_ADJUST_HEAD), exit());
    expect(runXdp(slots, packet64).packetOut.length).toBe(68);
  });
});

describe("bpf_xdp_adjust_tail", () => {
  it("grows the packet to 3520 bytes with zeroes, not one more", () => {
    const grown = call(HelperId.XDP_ADJUST_TAIL, 3456);
    expect(grown.r0).toBe(0n);
    expect(grown.packet.length).toBe(3520);
    expect(grown.packet.subarray(64).every((b) => b === 0)).toBe(true);
    expect(call(HelperId.XDP_ADJUST_TAIL, 3457)).toMatchObject({ r0: EINVAL, packet: packet64 });
  });

  it("shrinks down to 14 bytes, not further", () => {
    expect(call(HelperId.XDP_ADJUST_TAIL, -50)).toMatchObject({ r0: 0n, packet: packet64.subarray(0, 14) });
    expect(call(HelperId.XDP_ADJUST_TAIL, -51).r0).toBe(EINVAL);
  });

  it("clears bytes that a shrink and a regrow expose again", () => {
    const slots = program(movReg(R.r6, R.r1), mov64(R.r2, -10), callHelper(HelperId.XDP_ADJUST_TAIL), movReg(R.r1, R.r6), mov64(R.r2, 10), callHelper(HelperId.XDP_ADJUST_TAIL), exit());
    const out = runXdp(slots, packet64).packetOut;
    expect(out.subarray(54)).toEqual(new Uint8Array(10));
  });
});

describe("bpf_xdp_adjust_meta", () => {
  it("grows metadata in 4-byte steps", () => {
    expect(call(HelperId.XDP_ADJUST_META, -4)).toMatchObject({ r0: 0n, metadata: new Uint8Array(4) });
  });

  it("refuses a length that is not a multiple of 4 with -EACCES", () => {
    expect(call(HelperId.XDP_ADJUST_META, -2).r0).toBe(EACCES);
  });

  it("refuses metadata that would start after data with -EINVAL", () => {
    expect(call(HelperId.XDP_ADJUST_META, 4).r0).toBe(EINVAL);
  });

  it("allows up to 216 bytes (the headroom after the xdp_frame), not more", () => {
    expect(call(HelperId.XDP_ADJUST_META, -216).r0).toBe(0n);
    expect(call(HelperId.XDP_ADJUST_META, -220).r0).toBe(EINVAL);
  });
});

describe("bpf_xdp_get_buff_len, load_bytes, store_bytes", () => {
  it("reports the packet length", () => {
    expect(runXdp(program(callHelper(HelperId.XDP_GET_BUFF_LEN), exit()), packet64).action).toBe(64);
  });

  // r0 = xdp_load_bytes(ctx, offset, r10 - 8, length); r0 |= *(u32 *)(r10 - 8) << 8 on success
  const load = (offset: number, length: number) =>
    program(
      st(Size.DW, R.r10, -8, 0),
      mov64(R.r2, offset),
      movReg(R.r3, R.r10),
      alu64Imm(AluOp.ADD, R.r3, -8),
      mov64(R.r4, length),
      callHelper(HelperId.XDP_LOAD_BYTES),
      ldx(Size.W, R.r1, R.r10, -8),
      alu64Imm(AluOp.LSH, R.r1, 8),
      alu64Reg(AluOp.OR, R.r0, R.r1),
      exit(),
    );

  it("copies packet bytes at an offset into the buffer", () => {
    const r0 = runXdp(load(2, 4), packet64).result;
    // bytes 3, 4, 5, 6 read little-endian, shifted left by 8; the helper returned 0
    expect(r0).toMatchObject({ kind: "exit", r0: 0x0605_0403n << 8n });
  });

  it("refuses a range past the end with -EINVAL and an offset above 0xffff with -EFAULT", () => {
    // The buffer stays zero, so r0 is the helper's return value alone.
    const past = runXdp(load(62, 4), packet64).result;
    expect(past.kind === "exit" && BigInt.asIntN(64, past.r0)).toBe(EINVAL);
    const far = runXdp(load(0x10000, 4), packet64).result;
    expect(far.kind === "exit" && BigInt.asIntN(64, far.r0)).toBe(EFAULT);
  });

  it("writes buffer bytes into the packet", () => {
    const slots = program(st(Size.W, R.r10, -4, 0x44332211), mov64(R.r2, 10), movReg(R.r3, R.r10), alu64Imm(AluOp.ADD, R.r3, -4), mov64(R.r4, 4), callHelper(HelperId.XDP_STORE_BYTES), exit());
    const out = runXdp(slots, packet64);
    expect(out.action).toBe(0);
    expect(Array.from(out.packetOut.subarray(10, 14))).toEqual([0x11, 0x22, 0x33, 0x44]);
  });
});
