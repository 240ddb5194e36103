// bpf_fib_lookup against a JSON route table: return codes and the fields it
// fills, per net/core/filter.c bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AluOp } from "../../src/ebpf/opcode.ts";
import { FIB_LOOKUP_BYTES, FibResult, RouteTableError, lookupInto, parseRouteTable } from "../../src/helpers/fib.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { run } from "../../src/interp/index.ts";
import { R, alu64Imm, callHelper, exit, mov64, movReg, program } from "../interp/program.ts";

const table = parseRouteTable({
  devices: [
    { ifindex: 1, mac: "02:00:00:00:00:01", mtu: 1500 },
    { ifindex: 2, mac: "02:00:00:00:00:02", mtu: 1400, ipv4: "10.0.0.254" },
    { ifindex: 3, mac: "02:00:00:00:00:03", mtu: 1500, forwarding: false },
  ],
  routes: [
    { prefix: "10.1.0.0/16", ifindex: 2, gateway: "10.0.0.1" },
    { prefix: "10.1.2.0/24", ifindex: 2 },
    { prefix: "192.0.2.0/24", type: "blackhole" },
    { prefix: "fd00::/8", ifindex: 2, gateway: "fd00::1" },
  ],
  neighbors: [
    { address: "10.0.0.1", mac: "aa:bb:cc:dd:ee:01" },
    { address: "fd00::1", mac: "aa:bb:cc:dd:ee:06" },
  ],
});

// struct bpf_fib_lookup for an IPv4 (family 2) or IPv6 (family 10) destination.
function params(family: 2 | 10, destination: number[], ifindex = 1, totalLength = 100): Uint8Array {
  const p = new Uint8Array(FIB_LOOKUP_BYTES);
  const view = new DataView(p.buffer);
  p[0] = family;
  view.setUint16(6, totalLength, true);
  view.setUint32(8, ifindex, true);
  p.set(destination, 32);
  return p;
}
const u32 = (p: Uint8Array, at: number): number => new DataView(p.buffer).getUint32(at, true);

describe("bpf_fib_lookup", () => {
  it("resolves a gateway route: egress ifindex, gateway as destination, both MACs, MTU", () => {
    const p = params(2, [10, 1, 9, 9]);
    expect(lookupInto(table, p, 0)).toBe(FibResult.SUCCESS);
    expect(u32(p, 8)).toBe(2);
    expect(Array.from(p.subarray(32, 36))).toEqual([10, 0, 0, 1]);
    expect(Array.from(p.subarray(52, 58))).toEqual([2, 0, 0, 0, 0, 2]);
    expect(Array.from(p.subarray(58, 64))).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]);
    expect(new DataView(p.buffer).getUint16(6, true)).toBe(1400);
  });

  it("prefers the longest prefix: 10.1.2.0/24 is on-link and has no neighbour entry", () => {
    expect(lookupInto(table, params(2, [10, 1, 2, 3]), 0)).toBe(FibResult.NO_NEIGH);
    expect(lookupInto(table, params(2, [10, 1, 2, 3]), 4 /* BPF_FIB_LOOKUP_SKIP_NEIGH */)).toBe(FibResult.SUCCESS);
  });

  it("maps route types and missing routes to their codes", () => {
    expect(lookupInto(table, params(2, [192, 0, 2, 1]), 0)).toBe(FibResult.BLACKHOLE);
    expect(lookupInto(table, params(2, [172, 16, 0, 1]), 0)).toBe(FibResult.NOT_FWDED);
  });

  it("reports FRAG_NEEDED with the egress MTU when tot_len exceeds it", () => {
    const p = params(2, [10, 1, 9, 9], 1, 1401);
    expect(lookupInto(table, p, 0)).toBe(FibResult.FRAG_NEEDED);
    expect(new DataView(p.buffer).getUint16(6, true)).toBe(1400);
  });

  it("refuses lookups from a device with forwarding off, an unknown device and an unknown family", () => {
    expect(lookupInto(table, params(2, [10, 1, 9, 9], 3), 0)).toBe(FibResult.FWD_DISABLED);
    expect(lookupInto(table, params(2, [10, 1, 9, 9], 9), 0)).toBe(-19);
    const p = params(2, [10, 1, 9, 9]);
    p[0] = 7;
    expect(lookupInto(table, p, 0)).toBe(-97);
  });

  // Linux 6.18 through BPF_PROG_TEST_RUN (test/interp/fixtures/fib_order.o): an IPv6 link-local, multicast or
  // loopback address answers NOT_FWDED even from a device that does not exist; IPv4 and global IPv6 say -ENODEV.
  it("answers NOT_FWDED for link-local, multicast and loopback IPv6 before looking the device up", () => {
    const v6 = (src: number[], dst: number[], ifindex: number): Uint8Array => {
      const p = params(10, dst, ifindex);
      p.set(src, 16);
      return p;
    };
    const global = [0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(lookupInto(table, v6([0xfe, 0x80], global, 999), 0)).toBe(FibResult.NOT_FWDED);
    expect(lookupInto(table, v6(global, [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 999), 0)).toBe(FibResult.NOT_FWDED);
    expect(lookupInto(table, v6(global, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 999), 0)).toBe(FibResult.NOT_FWDED);
    expect(lookupInto(table, v6(global, global, 999), 0)).toBe(-19);
    expect(lookupInto(table, params(2, [224, 0, 0, 1], 999), 0)).toBe(-19);
  });

  it("fills the source address with BPF_FIB_LOOKUP_SRC", () => {
    const p = params(2, [10, 1, 9, 9]);
    expect(lookupInto(table, p, 16)).toBe(FibResult.SUCCESS);
    expect(Array.from(p.subarray(16, 20))).toEqual([10, 0, 0, 254]);
  });

  it("looks up IPv6 destinations", () => {
    const p = params(10, [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34]);
    expect(lookupInto(table, p, 0)).toBe(FibResult.SUCCESS);
    expect(Array.from(p.subarray(32, 48))).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("is reached from a program through the helper, which refuses a short struct", () => {
    const call = (length: number) =>
      program(movReg(R.r6, R.r1), movReg(R.r2, R.r10), alu64Imm(AluOp.ADD, R.r2, -64), mov64(R.r3, length), mov64(R.r4, 0), callHelper(HelperId.FIB_LOOKUP), exit());
    const input = () => ({ kind: "xdp", buffer: createXdpBuffer(new Uint8Array(64)) } as const);
    // family 0 in a zeroed struct: -EAFNOSUPPORT
    expect(run(call(64), { input: input(), routes: table })).toMatchObject({ kind: "exit", r0: BigInt.asUintN(64, -97n) });
    expect(run(call(63), { input: input(), routes: table })).toMatchObject({ kind: "exit", r0: BigInt.asUintN(64, -22n) });
  });

  it("rejects a malformed table with the field named", () => {
    expect(() => parseRouteTable({ routes: [{ prefix: "10.0.0.0/33" }] })).toThrow(RouteTableError);
    expect(() => parseRouteTable({ routes: [{ prefix: "10.0.0.0/8", type: "weird" }] })).toThrow(/routes\[0\]\.type/);
    expect(() => parseRouteTable({ neighbors: [{ address: "10.0.0.1", mac: "nope" }] })).toThrow(/neighbors\[0\]\.mac/);
  });

  // The route lookup_into picks, against a model that compares prefixes as bit strings: the longest
  // prefix whose first prefixLength bits equal the destination's, the lowest metric among equally
  // long ones, the first listed on a full tie (fib_table_lookup's order as fib.ts documents it).
  it("picks the longest matching IPv4 prefix, then the lowest metric, for any table and destination", () => {
    const bits = (octets: readonly number[]): string => octets.map((o) => o.toString(2).padStart(8, "0")).join("");
    const route = fc.record({ octets: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), length: fc.integer({ min: 0, max: 32 }), metric: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 8 }), fc.nat(), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.boolean(), (routes, pick, noise, near) => {
        // Destinations near a listed prefix (its first bytes kept) hit something more often.
        const base = routes[pick % routes.length].octets;
        const destination = near ? base.map((o, i) => (i < 2 ? o : o ^ (noise[i] & 0x0f))) : noise;
        const routeTable = parseRouteTable({
          devices: [{ ifindex: 1 }, ...routes.map((_, i) => ({ ifindex: 10 + i }))],
          routes: routes.map((r, i) => ({ prefix: `${r.octets.join(".")}/${r.length}`, ifindex: 10 + i, metric: r.metric })),
        });
        let best = -1;
        routes.forEach((r, i) => {
          if (bits(r.octets).slice(0, r.length) !== bits(destination).slice(0, r.length)) return;
          if (best < 0 || r.length > routes[best].length || (r.length === routes[best].length && r.metric < routes[best].metric)) best = i;
        });
        const p = params(2, destination);
        const result = lookupInto(routeTable, p, 4 /* BPF_FIB_LOOKUP_SKIP_NEIGH */);
        const shown = `routes ${routes.map((r) => `${r.octets.join(".")}/${r.length} metric ${r.metric}`).join(", ")}; destination ${destination.join(".")}`;
        if (best < 0) expect(result, shown).toBe(FibResult.NOT_FWDED);
        else expect([result, u32(p, 8), u32(p, 12)], shown).toEqual([FibResult.SUCCESS, 10 + best, routes[best].metric]);
      }),
      { numRuns: 500 },
    );
  });
});
