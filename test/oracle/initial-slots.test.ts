// Slots an object fills at load (libbpf: bpf_object__init_prog_arrays for a prog_array's
// `.values = { [i] = &prog }`, init_map_in_map_slots for a map of maps' `.values = { &inner }`):
// the interpreter's maps and the kernel's get them, and a --map file still writes on top.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../src/elf/index.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { ArrayOfMaps } from "../../src/maps/map-in-map.ts";
import type { SimMap } from "../../src/maps/index.ts";
import { kernelCheck } from "../../src/oracle/kernel-check.ts";
import { KernelSide } from "../../src/oracle/kernel-side.ts";
import { formatKernelCheck } from "../../src/oracle/kernel-check-report.ts";
import { createObjectMaps, loadMapContent, programId, tailCallPrograms } from "../../src/oracle/object-setup.ts";
import type { TestPacket } from "../../src/oracle/packet-generator.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const load = (file: string): BpfObject => loadObject(new Uint8Array(readFileSync(file)), file);
const tailChain = load("test/fixtures/realworld/tail_chain.o");
const mapInMap = load("test/fixtures/elf/map_in_map.o");

const u32 = (n: number): Uint8Array => Uint8Array.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
const mapNamed = (object: BpfObject, maps: readonly SimMap[], name: string): SimMap => maps[object.maps.findIndex((d) => d.name === name)];
// The program id a prog_array slot holds, or the errno the syscall side answers.
const slotOf = (map: SimMap, slot: number): number | "empty" => {
  const got = map.sysLookup(u32(slot));
  return typeof got === "number" ? "empty" : new DataView(got.buffer, got.byteOffset).getUint32(0, true);
};
const u64At = (bytes: Uint8Array): bigint => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);

// Frames for tail_chain.c, built by hand: Ethernet (dst 02:..:01, src 02:..:02), then the header.
const ETH = "020000000001020000000002";
const byte = (n: number): string => n.toString(16).padStart(2, "0");
// IPv4: version 4, IHL 5, total length 20, TTL, protocol UDP (17), checksum 0, 192.0.2.1 -> 192.0.2.2.
const ipv4 = (ttl: number): string => `${ETH}0800` + `45000014` + `00000000` + byte(ttl) + `110000` + `c0000201c0000202`;
// IPv6: version 6, payload length 0, next header UDP, hop limit, 2001:db8::1 -> 2001:db8::2.
const ipv6 = (hopLimit: number): string => `${ETH}86dd` + `60000000` + `000011` + byte(hopLimit) + `20010db8${"0".repeat(23)}1` + `20010db8${"0".repeat(23)}2`;
const arp = `${ETH}0806` + "0001080006040001" + "00".repeat(20);
const packet = (hex: string, label: string): TestPacket => ({ packet: Uint8Array.from(Buffer.from(hex, "hex")), label });

// What tail_chain.c does with each, read from its source: dispatch jumps to stage_v4 for IPv4 and
// stage_v6 for IPv6 (stages[0], stages[1], filled at load); stage_v4 drops a header that does not
// fit or TTL <= 1, stage_v6 drops hop limit <= 1; both count in stage_hits[0] / [1] first, and the
// empty `plugins` array makes every other tail call fall through (dispatch counts stage_hits[2]).
const XDP_DROP = 1;
const XDP_PASS = 2;
const cases: readonly { readonly packet: TestPacket; readonly action: number }[] = [
  { packet: packet(ipv4(1), "IPv4 TTL 1"), action: XDP_DROP },
  { packet: packet(ipv4(64), "IPv4 TTL 64"), action: XDP_PASS },
  { packet: packet(`${ETH}0800450000140000`, "IPv4 header cut after 6 bytes"), action: XDP_DROP },
  { packet: packet(ipv6(1), "IPv6 hop limit 1"), action: XDP_DROP },
  { packet: packet(ipv6(64), "IPv6 hop limit 64"), action: XDP_PASS },
  { packet: packet(arp, "ARP"), action: XDP_PASS },
];

describe("createObjectMaps fills the slots the object declares", () => {
  it("tail_chain.o: stages[0] and stages[1] hold stage_v4 and stage_v6, stages[2] and plugins stay empty", () => {
    const { maps, writes } = createObjectMaps(tailChain, 1);
    const stages = mapNamed(tailChain, maps, "stages");
    expect(slotOf(stages, 0)).toBe(programId(tailChain, "stage_v4"));
    expect(slotOf(stages, 1)).toBe(programId(tailChain, "stage_v6"));
    expect(slotOf(stages, 2)).toBe("empty");
    const plugins = mapNamed(tailChain, maps, "plugins");
    for (let slot = 0; slot < 8; slot++) expect(slotOf(plugins, slot)).toBe("empty");
    expect(writes.map((w) => (w.kind === "prog-slot" ? `${w.slot}=${w.program}` : w.kind))).toEqual(["0=stage_v4", "1=stage_v6"]);
  });

  it("map_in_map.o: per_queue[0] is first_inner itself, the other slots and per_tenant stay empty", () => {
    const { maps, writes } = createObjectMaps(mapInMap, 1);
    const perQueue = mapNamed(mapInMap, maps, "per_queue") as ArrayOfMaps;
    expect(perQueue.innerMap(u32(0))).toBe(mapNamed(mapInMap, maps, "first_inner"));
    for (const slot of [1, 2, 3]) expect(perQueue.innerMap(u32(slot))).toBeUndefined();
    expect(mapNamed(mapInMap, maps, "per_tenant").getNextKey(undefined)).toBeUndefined();
    expect(writes).toEqual([{ kind: "inner-map", mapIndex: mapInMap.maps.findIndex((d) => d.name === "per_queue"), key: u32(0), innerMapIndex: mapInMap.maps.findIndex((d) => d.name === "first_inner") }]);
  });

  it("a map file still overrides: a slot it names is replaced, the others keep the object's programs", () => {
    const setup = loadMapContent(createObjectMaps(tailChain, 1), "stages", { entries: [{ key: "00000000", program: "stage_v6" }] }, "stages.json");
    const stages = mapNamed(tailChain, setup.maps, "stages");
    expect(slotOf(stages, 0)).toBe(programId(tailChain, "stage_v6"));
    expect(slotOf(stages, 1)).toBe(programId(tailChain, "stage_v6"));
    expect(setup.writes.at(-1)).toEqual({ kind: "prog-slot", mapIndex: setup.maps.indexOf(stages), slot: 0, program: "stage_v6" });
  });

  it("the interpreter counts map_in_map.o's packets into first_inner through per_queue[0], on both tiers", () => {
    for (const tier of ["reference", "compiled"] as const) {
      const { maps } = createObjectMaps(mapInMap, 1);
      const program = mapInMap.programs.find((p) => p.name === "xdp_map_in_map")!;
      const actions = cases.map((c) => runXdp(program.insns, c.packet.packet, maps, { tier }).action);
      expect(actions, tier).toEqual(cases.map(() => XDP_PASS));
      expect(u64At(mapNamed(mapInMap, maps, "first_inner").lookup(u32(0), 0)!), tier).toBe(BigInt(cases.length));
    }
  });

  it("the interpreter reaches stage_v4's and stage_v6's verdicts through the filled slots", () => {
    const { maps } = createObjectMaps(tailChain, 1);
    const dispatch = tailChain.programs.find((p) => p.name === "dispatch")!;
    const programs = tailCallPrograms(tailChain);
    const actions = cases.map((c) => runXdp(dispatch.insns, c.packet.packet, maps, { programs }).action);
    expect(actions).toEqual(cases.map((c) => c.action));
    // stage_hits: two IPv4 packets reached stage_v4's count (the cut one dropped before it), two IPv6, one other.
    const hits = mapNamed(tailChain, maps, "stage_hits");
    expect([0, 1, 2, 3].map((i) => u64At(hits.lookup(u32(i), 0)!))).toEqual([2n, 2n, 1n, 0n]);
  });
});

describe.skipIf(!kernelAvailable)("the kernel side gets the same slots (real program and inner map fds)", () => {
  it("kernel-check tail_chain.o --prog dispatch agrees, with the tail-called stages' drops", async () => {
    const report = await withKernel((k) => kernelCheck(k, { object: tailChain, program: "dispatch", packets: cases.map((c) => c.packet) }));
    expect(report.kind, formatKernelCheck(report, "tail_chain.o")).toBe("agree");
    if (report.kind !== "agree") return;
    expect(report.actions).toEqual({ [XDP_DROP]: 3, [XDP_PASS]: 3 });
    expect(report.comparedMaps).toContain("stage_hits");
  });

  // map_in_map.c: every packet arrives on rx queue 0, so per_queue[0] (first_inner) counts it at key 0;
  // per_tenant is empty, so no tail call: XDP_PASS. kernel-check compares first_inner after every packet.
  it("kernel-check map_in_map.o agrees: each packet counts into first_inner through per_queue[0]", async () => {
    const report = await withKernel((k) => kernelCheck(k, { object: mapInMap, packets: cases.map((c) => c.packet) }));
    expect(report.kind, formatKernelCheck(report, "map_in_map.o")).toBe("agree");
    if (report.kind !== "agree") return;
    expect(report.actions).toEqual({ [XDP_PASS]: cases.length });
    expect(report.comparedMaps).toContain("first_inner");
  });

  it("map_in_map.o in the kernel: a packet counts into first_inner, which per_queue[0] names", async () => {
    const first = mapInMap.maps.findIndex((d) => d.name === "first_inner");
    const counted = await withKernel((k) => {
      const load = KernelSide.load(k, mapInMap, "xdp_map_in_map", createObjectMaps(mapInMap, k.cpuCount).writes);
      if (load.kind !== "loaded") throw new Error(`the kernel refuses xdp_map_in_map: ${load.error.message}`);
      const run = load.side.run(packet(ipv4(64), "IPv4").packet);
      expect(run.result.retval).toBe(XDP_PASS);
      const dump = k.dumpMap(load.side.instance.maps[first]);
      if (dump.perCpu) throw new Error("first_inner is a plain array");
      return u64At(dump.entries.find((e) => e.key.every((b) => b === 0))!.value);
    });
    expect(counted).toBe(1n);
  });
});
