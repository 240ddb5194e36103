// The host reference of a run (src/sim/host-reference.ts) keeps one compiled
// session per port across packets, with the addresses it gave map values, and
// builds it again once its runs have given SESSION_REGION_LIMIT regions
// addresses. fixtures/xdp_value_per_packet.c adds one hash element per packet,
// looks its value up and leaves the card at bpf_ktime_get_ns with the value
// pointer live; the host part increments the value. Over more packets than the
// limit (every packet a new value, so more regions than the limit), the reused
// and rebuilt session must give what a fresh run per packet gives, and both what
// the C source says: the verdict from the first byte, one count per packet of a key.
// (The run's own host stage, src/offload/for-run.ts hostStageOf, starts a fresh
// interpreter run per packet and keeps no session.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { disassembleInstructions } from "../../src/ebpf/index.ts";
import { loadObject } from "../../src/elf/index.ts";
import { HelperId } from "../../src/helpers/prototypes.ts";
import { createMap, type SimMap } from "../../src/maps/index.ts";
import { generate, planOffload } from "../../src/offload/plan.ts";
import { FIRST_PORT_IFINDEX, HostReference, RUN_CLOCK, SESSION_REGION_LIMIT } from "../../src/sim/host-reference.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { preset, toHex } from "./corpus.ts";

const FIXTURE = "test/offload/fixtures/xdp_value_per_packet.o";
const object = loadObject(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
const program = object.programs.find((p) => p.name === "value_per_packet")!;
const freshMaps = (): SimMap[] => object.maps.map((def) => createMap(def));

// Packet i: first byte i & 0xff, the u32 at offset 14 its key; every seventh reuses the key of three packets
// before, so six in seven bring a new element: enough packets for more new elements than the limit.
const PACKETS = Math.ceil((SESSION_REGION_LIMIT * 7) / 6) + 4096;
const keyOf = (i: number): number => (i % 7 === 3 ? i - 3 : i);
function packet(i: number): Uint8Array {
  const frame = new Uint8Array(60);
  frame[0] = i & 0xff;
  new DataView(frame.buffer).setUint32(14, keyOf(i), true);
  return frame;
}

const u32le = (n: number): string => toHex(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
const u64le = (n: number): string => u32le(n) + "00000000";
const contents = (map: SimMap): string[] => map.entries().map((e) => `${toHex(e.key)}=${toHex(e.value!)}`).sort();

describe("a reused host session across its region limit", () => {
  it("the program leaves the card at bpf_ktime_get_ns with the looked-up value pointer live", () => {
    const ktime = disassembleInstructions(program.insns).filter((d) => d.form.kind === "callHelper" && d.form.helperId === HelperId.KTIME_GET_NS);
    expect(ktime).toHaveLength(1);
    const image = generate(planOffload(program, object.maps, preset(), { cores: 8 }), preset());
    expect(image.hostExits.map((e) => e.resumePc)).toEqual([ktime[0].pc]);
    expect(image.hostExits[0].registers.some((r) => r.kind.kind === "value")).toBe(true);
  });

  it(`gives, over ${PACKETS} packets, what a fresh run per packet gives and what the source says`, { timeout: 120_000 }, () => {
    const reference = new HostReference({ program: program.insns, maps: freshMaps(), programs: new Map() });
    reference.reseed(1);
    const freshSide = freshMaps();
    const rx = { ingressIfindex: FIRST_PORT_IFINDEX, rxQueueIndex: 0, egressIfindex: 0 };
    const mismatches: string[] = [];
    for (let i = 0; i < PACKETS; i++) {
      const p = packet(i);
      const reused = reference.run(p, 0, false);
      const reusedText = `${reused.actionName} ${toHex(reused.packetOut)}`;
      const fresh = runXdp(program.insns, p, freshSide, { clock: RUN_CLOCK, rx, tier: "compiled" });
      const expected = `${i & 1 ? "XDP_DROP" : "XDP_TX"} ${toHex(p)}`;
      if (reusedText !== expected || `${fresh.actionName} ${toHex(fresh.packetOut)}` !== expected) mismatches.push(`packet ${i}: reused ${reusedText.slice(0, 12)}, fresh ${fresh.actionName}`);
      if (mismatches.length > 5) break;
    }
    expect(mismatches).toEqual([]);
    // Counts by hand: one per packet of a key.
    const counts = new Map<number, number>();
    for (let i = 0; i < PACKETS; i++) counts.set(keyOf(i), (counts.get(keyOf(i)) ?? 0) + 1);
    // More distinct map values than the limit: each got a region, so the session was built again at least once.
    expect(counts.size).toBeGreaterThan(SESSION_REGION_LIMIT);
    const expected = [...counts].map(([k, n]) => `${u32le(k)}=${u64le(n)}`).sort();
    expect(contents(reference.setup.maps[0])).toEqual(expected);
    expect(contents(freshSide[0])).toEqual(expected);
  });
});
