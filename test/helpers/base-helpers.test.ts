// Helpers of the kernel's bpf_base_func_proto an XDP program may call:
// bpf_jiffies64, bpf_ktime_get_coarse_ns, bpf_spin_lock/unlock, bpf_strncmp,
// bpf_probe_read_kernel_str and bpf_check_mtu. Expected values are worked out by hand from the
// kernel's definitions (cited per test); strncmp, probe_read_kernel_str and
// check_mtu were also compared with Linux 6.18 through BPF_PROG_TEST_RUN (kernel-check).
import { describe, expect, it } from "vitest";
import { AluOp, Size } from "../../src/ebpf/opcode.ts";
import { DEFAULT_CLOCK } from "../../src/helpers/runtime.ts";
import { SIM_HZ } from "../../src/helpers/basic-helpers.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { run, type RunResult } from "../../src/interp/index.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType } from "../../src/maps/types.ts";
import { parseRouteTable } from "../../src/helpers/fib.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";
import { R, alu64Imm, alu64Reg, callHelper, exit, ldMap, ldx, mov64, movReg, program, st, stx } from "../interp/program.ts";

const r0Of = (result: RunResult): bigint => {
  if (result.kind !== "exit") throw new Error(result.message);
  return BigInt.asIntN(64, result.r0);
};

describe("clocks", () => {
  const clock = { ...DEFAULT_CLOCK, startNs: 7_654_321_000n, nsPerInstruction: 1_000n };

  it("bpf_jiffies64 counts ticks of the simulated clock from INITIAL_JIFFIES", () => {
    expect(SIM_HZ).toBe(1000);
    // The call is the 1st step (the clock counts it): 7_654_321_000 + 1000 ns -> 7654 whole ms = 7654 ticks at 1000 Hz,
    // on top of (u32)(-300 * 1000) = 2^32 - 300000.
    const r0 = r0Of(run(program(callHelper(HelperId.JIFFIES64), exit()), { clock }));
    expect(r0).toBe(2n ** 32n - 300_000n + 7654n);
  });

  it("bpf_ktime_get_coarse_ns is the monotonic clock at the last 1 ms tick", () => {
    // The call is the 4th step: 7_654_321_000 + 4 * 1000 ns = 7_654_325_000 -> 7_654_000_000.
    const slots = program(mov64(R.r1, 0), mov64(R.r1, 0), mov64(R.r1, 0), callHelper(HelperId.KTIME_GET_COARSE_NS), exit());
    expect(r0Of(run(slots, { clock }))).toBe(7_654_000_000n);
  });
});

describe("bpf_spin_lock / bpf_spin_unlock", () => {
  const map = () => createMap({ name: "locked", type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 });
  // r1 = &value (lookup of key 0 in map 0), lock, count++ at offset 8, unlock, r0 = count.
  const locked = program(
    st(Size.W, R.r10, -4, 0),
    ldMap(R.r1, 0),
    movReg(R.r2, R.r10),
    alu64Imm(AluOp.ADD, R.r2, -4),
    callHelper(HelperId.MAP_LOOKUP_ELEM),
    movReg(R.r6, R.r0),
    movReg(R.r1, R.r6),
    callHelper(HelperId.SPIN_LOCK),
    ldx(Size.DW, R.r7, R.r6, 8),
    alu64Imm(AluOp.ADD, R.r7, 1),
    stx(Size.DW, R.r6, R.r7, 8),
    movReg(R.r1, R.r6),
    callHelper(HelperId.SPIN_UNLOCK),
    movReg(R.r0, R.r7),
    exit(),
  );

  it("takes and releases a lock in a map value, leaving the value's other bytes to the program", () => {
    const m = map();
    expect(r0Of(run(locked, { maps: [m] }))).toBe(1n);
    // The lock word (bytes 0..3) is as it was: nothing outside sees a held lock.
    expect([...m.lookup(new Uint8Array(4), 0)!.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
  });

  it("refuses a lock on the stack (the verifier wants it in a map value)", () => {
    const slots = program(movReg(R.r1, R.r10), alu64Imm(AluOp.ADD, R.r1, -8), callHelper(HelperId.SPIN_LOCK), exit());
    expect(run(slots)).toMatchObject({ kind: "fault", pc: 2, fault: { kind: "helper" } });
  });
});

// The stack holds "abcd\0\0\0\0" at r10 - 8 and the constant at r10 - 16; r0 = strncmp(r10 - 8, n, r10 - 16).
function strncmp(constant: string, n: number): bigint {
  const word = (s: string): number => [...s.padEnd(4, "\0")].slice(0, 4).reduce((v, c, i) => v | (c.charCodeAt(0) << (8 * i)), 0);
  const slots = program(
    st(Size.W, R.r10, -8, word("abcd")),
    st(Size.W, R.r10, -4, 0),
    st(Size.W, R.r10, -16, word(constant)),
    st(Size.W, R.r10, -12, word(constant.slice(4))),
    movReg(R.r1, R.r10),
    alu64Imm(AluOp.ADD, R.r1, -8),
    mov64(R.r2, n),
    movReg(R.r3, R.r10),
    alu64Imm(AluOp.ADD, R.r3, -16),
    callHelper(HelperId.STRNCMP),
    exit(),
  );
  return r0Of(run(slots));
}

describe("bpf_strncmp (lib/string.c strncmp: -1, 0 or 1)", () => {
  it("compares up to the first NUL or n bytes", () => {
    expect(strncmp("abcd", 8)).toBe(0n);
    // 'c' < 'z' at index 2.
    expect(strncmp("abz", 3)).toBe(-1n);
    // Only 2 bytes compared.
    expect(strncmp("abz", 2)).toBe(0n);
    // 'd' against the constant's NUL at index 3.
    expect(strncmp("abc", 8)).toBe(1n);
    // Both strings end at index 4.
    expect(strncmp("abcd", 5)).toBe(0n);
  });
});

// "hello\0.." at r10 - 8; r0 = probe_read_kernel_str(r10 - 24, size, source) + (the 8 bytes at r10 - 24 << 8).
function readStr(size: number, source: "string" | "null"): { r0: bigint; bytes: number[] } {
  const slots = program(
    st(Size.W, R.r10, -8, 0x6c6c6568), // "hell"
    st(Size.W, R.r10, -4, 0x6f), // "o\0\0\0"
    st(Size.DW, R.r10, -24, 0x7777777),
    movReg(R.r1, R.r10),
    alu64Imm(AluOp.ADD, R.r1, -24),
    mov64(R.r2, size),
    source === "null" ? mov64(R.r3, 0) : movReg(R.r3, R.r10),
    alu64Imm(AluOp.ADD, R.r3, source === "null" ? 0 : -8),
    callHelper(HelperId.PROBE_READ_KERNEL_STR),
    ldx(Size.DW, R.r1, R.r10, -24),
    movReg(R.r2, R.r0),
    exit(),
  );
  const bytes: number[] = [];
  const result = run(slots, {}, { onStep: (s) => { if (s.pc === 11) { let v = s.regs[1]; for (let i = 0; i < 8; i++, v >>= 8n) bytes.push(Number(v & 0xffn)); } } });
  return { r0: r0Of(result), bytes };
}

describe("bpf_probe_read_kernel_str (strncpy_from_kernel_nofault)", () => {
  it("copies up to and including the NUL and returns the bytes written", () => {
    // "hello" + NUL = 6 bytes; the rest of the buffer as it was (0x07777777 little-endian: 77 77 77 07).
    expect(readStr(8, "string")).toEqual({ r0: 6n, bytes: [0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0, 0] });
  });

  it("truncates to size - 1 bytes and a NUL, returning size", () => {
    expect(readStr(3, "string")).toEqual({ r0: 3n, bytes: [0x68, 0x65, 0, 0x07, 0, 0, 0, 0] });
  });

  it("answers NULL with -ERANGE and a zeroed buffer, and a size of 0 with 0", () => {
    expect(readStr(4, "null")).toEqual({ r0: -34n, bytes: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(readStr(0, "null").r0).toBe(0n);
  });
});

// r0 = bpf_check_mtu(ctx, ifindex, &mtu_len (preset), lenDiff, 0) + (mtu_len after << 8), on a 64-byte packet.
function checkMtu(ifindex: number, mtuLenIn: number, lenDiff: number): bigint {
  const slots = program(
    st(Size.W, R.r10, -4, mtuLenIn),
    mov64(R.r2, ifindex),
    movReg(R.r3, R.r10),
    alu64Imm(AluOp.ADD, R.r3, -4),
    mov64(R.r4, lenDiff),
    mov64(R.r5, 0),
    callHelper(HelperId.CHECK_MTU),
    ldx(Size.W, R.r1, R.r10, -4),
    alu64Imm(AluOp.LSH, R.r1, 8),
    alu64Reg(AluOp.ADD, R.r0, R.r1),
    exit(),
  );
  const routes = parseRouteTable({ devices: [{ ifindex: 2, mac: "02:00:00:00:00:02", mtu: 1500 }], routes: [] });
  const outcome = runXdp(slots, new Uint8Array(64), [], { routes, rx: { ingressIfindex: 2, rxQueueIndex: 0, egressIfindex: 0 } });
  return r0Of(outcome.result);
}

describe("bpf_check_mtu (net/core/filter.c bpf_xdp_check_mtu)", () => {
  it("compares the packet plus len_diff with the device's MTU plus its 14-byte Ethernet header", () => {
    // 64 + 1450 = 1514 = 1500 + 14: fits; one more byte needs fragmenting. mtu_len comes back 1500.
    expect(checkMtu(0, 0, 1450)).toBe(1500n << 8n);
    expect(checkMtu(2, 0, 1451)).toBe(1n + (1500n << 8n));
  });

  it("takes a non-zero *mtu_len as the L3 length", () => {
    // 1500 + 14 = 1514 fits; 1501 + 14 does not.
    expect(checkMtu(0, 1500, 0)).toBe(1500n << 8n);
    expect(checkMtu(0, 1501, 0)).toBe(1n + (1500n << 8n));
  });

  it("knows the loopback device (MTU 64 KiB) and answers -ENODEV, leaving *mtu_len, for a missing one", () => {
    expect(checkMtu(1, 0, 0)).toBe(65536n << 8n);
    expect(checkMtu(7, 5, 0)).toBe(-19n + (5n << 8n));
  });
});
