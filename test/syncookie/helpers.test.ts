// The SYN-cookie helpers against what net/core/filter.c and net/ipv{4,6}/syncookies.c
// (Linux 6.18) say, worked out by hand:
//   gen: th_len < 20 or th_len != doff * 4 -> -EINVAL (22); otherwise the MSS option
//   (absent or 0: 536 for IPv4, 1280 - 20 - 40 = 1220 for IPv6) picks the largest entry
//   not above it of {536, 1300, 1440, 1460} (IPv4) or {1220, 1420, 1440, 8940} (IPv6),
//   first entry when none is, and that entry comes back in bits 32..47; the flags are
//   not looked at.
//   cookie = H0(tuple) + client ISN + (minute << 24) + ((H1(tuple, minute) + index) & 0xffffff),
//   so the cookie moves one for one with the ISN.
//   check: ack_seq - 1 against seq - 1: 0, or -EACCES (13); a cookie is good in its
//   minute and the next (MAX_SYNCOOKIE_AGE 2).
// The minute is jiffies / 60,000 (HZ 1000); jiffies start at INITIAL_JIFFIES =
// 2^32 - 300,000, so 4,294,680,000 = 71,578 * 60,000 is reached 12,704 ms after boot.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Size } from "../../src/ebpf/opcode.ts";
import { helperImplementations, HelperId, type HelperImplementation } from "../../src/helpers/index.ts";
import { syncookieHelpers } from "../../src/helpers/syncookie.ts";
import { eth, type TcpOption } from "../../src/traffic/index.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";
import { R, alu64Imm, callHelper, exit, ldx, mov64, movReg, program } from "../interp/program.ts";
import { AluOp } from "../../src/ebpf/opcode.ts";

const EINVAL = -22n;
const EACCES = -13n;
const mac = { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" };
const MINUTE_NS = 60_000_000_000n;
// The start of minute 71,578 (see above).
const MINUTE_START_NS = 12_704_000_000n;
const IPV4_TCP_AT = 14 + 20;
const IPV6_TCP_AT = 14 + 40;

interface Segment {
  readonly v6?: boolean;
  readonly srcPort?: number;
  readonly src?: string;
  readonly seq?: number;
  readonly ack?: number;
  readonly flags?: string;
  readonly options?: readonly TcpOption[];
}

function frame(s: Segment): Uint8Array {
  const base = s.v6 ? eth(mac).ipv6({ src: s.src ?? "2001:db8::1", dst: "2001:db8::2" }) : eth(mac).ipv4({ src: s.src ?? "10.0.0.1", dst: "10.0.0.2" });
  return base.tcp({ srcPort: s.srcPort ?? 40_000, dstPort: 80, seq: s.seq ?? 1000, ack: s.ack ?? 0, flags: s.flags ?? "S", options: [...(s.options ?? [])] }).build();
}

// r0 = helper(data + 14, data + tcpAt[, thLen])
function callOn(helper: number, packet: Uint8Array, tcpAt: number, thLen: number, atNs: bigint, table?: ReadonlyMap<number, HelperImplementation>): bigint {
  const insns = program(
    ldx(Size.W, R.r6, R.r1, 0),
    movReg(R.r1, R.r6),
    alu64Imm(AluOp.ADD, R.r1, 14),
    movReg(R.r2, R.r6),
    alu64Imm(AluOp.ADD, R.r2, tcpAt),
    mov64(R.r3, thLen),
    callHelper(helper),
    exit(),
  );
  const outcome = runXdp(insns, packet, [], { clock: { startNs: atNs, nsPerInstruction: 0n, bootOffsetNs: 0n }, ...(table ? { helpers: table } : {}) });
  if (outcome.result.kind !== "exit") throw new Error(outcome.result.message);
  return BigInt.asIntN(64, outcome.result.r0);
}

const gen = (s: Segment, atNs = MINUTE_START_NS, thLen?: number, table?: ReadonlyMap<number, HelperImplementation>): bigint => {
  const packet = frame(s);
  const tcpAt = s.v6 ? IPV6_TCP_AT : IPV4_TCP_AT;
  return callOn(s.v6 ? HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV6 : HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV4, packet, tcpAt, thLen ?? (packet[tcpAt + 12] >> 4) * 4, atNs, table);
};

const check = (s: Segment, atNs = MINUTE_START_NS, table?: ReadonlyMap<number, HelperImplementation>): bigint =>
  callOn(s.v6 ? HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV6 : HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV4, frame(s), s.v6 ? IPV6_TCP_AT : IPV4_TCP_AT, 0, atNs, table);

const cookieOf = (value: bigint): number => Number(value & 0xffff_ffffn);
const mssOf = (value: bigint): number => Number(value >> 32n);
const mss = (value: number): TcpOption => ({ kind: "mss", value });

// The client's ACK to the SYN-ACK that carried `cookie`: seq = ISN + 1, ack = cookie + 1.
const ackFor = (syn: Segment, cookie: number): Segment => ({ ...syn, flags: "A", seq: ((syn.seq ?? 1000) + 1) >>> 0, ack: (cookie + 1) >>> 0, options: [] });

describe("bpf_tcp_raw_gen_syncookie: the MSS in bits 32..47", () => {
  it.each([
    [undefined, 536],
    [0, 536],
    [535, 536],
    [1299, 536],
    [1300, 1300],
    [1439, 1300],
    [1440, 1440],
    [1459, 1440],
    [1460, 1460],
    [9000, 1460],
  ])("IPv4, MSS option %s -> %i", (given, expected) => {
    const value = gen({ options: given === undefined ? [] : [mss(given)] });
    expect(value).toBeGreaterThanOrEqual(0n);
    expect(mssOf(value)).toBe(expected);
  });

  it.each([
    [undefined, 1220],
    [536, 1220],
    [1419, 1220],
    [1420, 1420],
    [1440, 1440],
    [8939, 1440],
    [8940, 8940],
    [65535, 8940],
  ])("IPv6, MSS option %s -> %i", (given, expected) => {
    expect(mssOf(gen({ v6: true, options: given === undefined ? [] : [mss(given)] }))).toBe(expected);
  });

  it("finds the MSS behind NOPs and other options, as tcp_parse_mss_option walks them", () => {
    const options: TcpOption[] = [{ kind: "nop" }, { kind: "window-scale", shift: 7 }, { kind: "sack-permitted" }, mss(1440)];
    expect(mssOf(gen({ options }))).toBe(1440);
  });
});

describe("bpf_tcp_raw_gen_syncookie: -EINVAL", () => {
  it("when th_len is below sizeof(struct tcphdr)", () => {
    expect(gen({}, MINUTE_START_NS, 19)).toBe(EINVAL);
    expect(gen({}, MINUTE_START_NS, 0)).toBe(EINVAL);
  });

  it("when th_len is not doff * 4", () => {
    // doff 6 (one MSS option): th_len 20 and 28 are both wrong.
    expect(gen({ options: [mss(1460)] }, MINUTE_START_NS, 20)).toBe(EINVAL);
    expect(gen({ v6: true, options: [mss(1460)] }, MINUTE_START_NS, 20)).toBe(EINVAL);
    expect(gen({ options: [mss(1460)] }, MINUTE_START_NS, 24)).toBeGreaterThan(0n);
  });

  it("is not the answer for a segment that is not a SYN: the kernel does not look at the flags", () => {
    expect(mssOf(gen({ flags: "A" }))).toBe(536);
    expect(mssOf(gen({ flags: "R" }))).toBe(536);
  });
});

describe("cookies", () => {
  it("move one for one with the client's ISN (it is added outside the hashes)", () => {
    const base = cookieOf(gen({ seq: 1000 }));
    expect(cookieOf(gen({ seq: 1005 }))).toBe((base + 5) >>> 0);
    expect(cookieOf(gen({ seq: 0xffff_fffe }))).toBe((base + 0xffff_fffe - 1000) >>> 0);
  });

  it("depend on the 4-tuple and the minute", () => {
    const base = cookieOf(gen({}));
    expect(cookieOf(gen({ srcPort: 40_001 }))).not.toBe(base);
    expect(cookieOf(gen({ src: "10.0.0.9" }))).not.toBe(base);
    expect(cookieOf(gen({}, MINUTE_START_NS + MINUTE_NS))).not.toBe(base);
    expect(cookieOf(gen({}, MINUTE_START_NS + MINUTE_NS - 1n))).toBe(base);
  });
});

describe("bpf_tcp_raw_check_syncookie", () => {
  it.each([false, true])("accepts the ACK to a cookie gen made, for every MSS of the table (IPv6 %s)", (v6) => {
    const table = v6 ? [1220, 1420, 1440, 8940] : [536, 1300, 1440, 1460];
    for (const entry of table) {
      const syn: Segment = { v6, seq: 0x1234_5678, options: [mss(entry)] };
      const value = gen(syn);
      expect(mssOf(value)).toBe(entry);
      expect(check(ackFor(syn, cookieOf(value)))).toBe(0n);
    }
  });

  it("refuses a cookie for another port or address, or whose MSS index falls off the table", () => {
    const syn: Segment = { seq: 77 };
    const cookie = cookieOf(gen(syn));
    // The index (0 here: no MSS option) is added to the second hash's low 24 bits, so
    // cookie - 1 carries index -1 (0xffffff) and cookie + 4 index 4: both off the table...
    expect(check(ackFor(syn, cookie - 1))).toBe(EACCES);
    expect(check(ackFor(syn, cookie + 4))).toBe(EACCES);
    // ...while cookie + 2 carries index 2, which the kernel's check takes as good too.
    expect(check(ackFor(syn, cookie + 2))).toBe(0n);
    const top = { ...syn, options: [mss(1460)] };
    expect(check(ackFor(top, cookieOf(gen(top)) + 1))).toBe(EACCES);
    expect(check({ ...ackFor(syn, cookie), srcPort: 40_001 })).toBe(EACCES);
    expect(check({ ...ackFor(syn, cookie), src: "10.0.0.9" })).toBe(EACCES);
    // seq - 1 is taken as the ISN and subtracted: 8 too little (seq 70 for ISN 77) leaves index 8.
    expect(check({ ...ackFor(syn, cookie), seq: 70 })).toBe(EACCES);
  });

  it("keeps a cookie good in its minute and the next, not the one after or before", () => {
    const syn: Segment = { v6: true, seq: 5 };
    const ack = ackFor(syn, cookieOf(gen(syn, MINUTE_START_NS)));
    expect(check(ack, MINUTE_START_NS)).toBe(0n);
    expect(check(ack, MINUTE_START_NS + 2n * MINUTE_NS - 1n)).toBe(0n);
    expect(check(ack, MINUTE_START_NS + 2n * MINUTE_NS)).toBe(EACCES);
    expect(check(ack, MINUTE_START_NS - 1n)).toBe(EACCES);
  });

  it("does not look at the flags either", () => {
    const syn: Segment = { seq: 9 };
    const ack = ackFor(syn, cookieOf(gen(syn)));
    expect(check({ ...ack, flags: "S" })).toBe(0n);
  });

  it("refuses a cookie made under another secret (the kernel's, say)", () => {
    const other = new Map(helperImplementations);
    for (const [id, implementation] of syncookieHelpers(Uint8Array.of(1, 2, 3, 4))) other.set(id, implementation);
    const syn: Segment = { seq: 3000 };
    const theirs = cookieOf(gen(syn, MINUTE_START_NS, undefined, other));
    expect(theirs).not.toBe(cookieOf(gen(syn)));
    expect(check(ackFor(syn, theirs), MINUTE_START_NS, other)).toBe(0n);
    expect(check(ackFor(syn, theirs))).toBe(EACCES);
  });
});

describe("gen on arbitrary TCP headers", () => {
  it("answers -EINVAL exactly when th_len is not doff * 4 (or below 20), else an MSS of the table in bits 32..47 and nothing above", () => {
    const table = [536, 1300, 1440, 1460];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.integer({ min: 0, max: 60 }), fc.boolean(), (header, anyLength, consistent) => {
        // Half the cases give th_len = doff * 4, so both answers are well represented.
        const thLen = consistent ? Math.min((header[12] >> 4) * 4, 60) : anyLength;
        const packet = new Uint8Array(IPV4_TCP_AT + header.length);
        packet.set(frame({}).subarray(0, IPV4_TCP_AT));
        packet.set(header, IPV4_TCP_AT);
        const value = callOn(HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV4, packet, IPV4_TCP_AT, thLen, MINUTE_START_NS);
        const shown = `th_len ${thLen}, TCP header ${Buffer.from(header.subarray(0, Math.max(thLen, 20))).toString("hex")}`;
        if (thLen < 20 || thLen !== (header[12] >> 4) * 4) expect(value, shown).toBe(EINVAL);
        else {
          expect(value >> 48n, shown).toBe(0n);
          expect(table, shown).toContain(mssOf(value));
        }
      }),
      { numRuns: 500, seed: 204 },
    );
  });
});
