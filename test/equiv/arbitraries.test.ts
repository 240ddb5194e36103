// The suite's generators: packets are frames the kernel's test run takes and,
// undamaged, decode cleanly with the addresses the pool holds; map states
// leave the base alone and replay exactly from their recorded writes; replay
// tokens round-trip and refuse garbage with one sentence.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMap, dumpMap, MapType, UpdateFlag, type SimMap } from "../../src/maps/index.ts";
import { decodePacket, describePacket, formatIpv4, parseIpv4 } from "../../src/traffic/index.ts";
import { ETH_HLEN, MAX_LINEAR_PACKET_BYTES } from "../../src/xdp/index.ts";
import { applyMapState, mapStateArbitrary, type StateWrite } from "../../src/equiv/map-state-arbitrary.ts";
import { buildPacket, packetRecipeArbitrary } from "../../src/equiv/packet-arbitrary.ts";
import { EMPTY_POOL, harvestPool } from "../../src/equiv/packet-pool.ts";
import { decodeReplayToken, encodeReplayToken } from "../../src/equiv/replay-token.ts";
import { EquivInputError } from "../../src/equiv/errors.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("packet arbitrary", () => {
  it("builds frames between an Ethernet header and the largest linear test-run frame", () => {
    fc.assert(
      fc.property(packetRecipeArbitrary, (recipe) => {
        const packet = buildPacket(recipe, EMPTY_POOL);
        return packet.length >= ETH_HLEN && packet.length <= MAX_LINEAR_PACKET_BYTES;
      }),
      { numRuns: 300 },
    );
  });

  it("builds undamaged, truthful IPv4 packets that decode to the end without a stop", () => {
    const undamaged = packetRecipeArbitrary.filter((r) => r.damage.kind === "none" && r.l3.kind === "ipv4" && r.l3.totalLengthLie === undefined && r.l3.optionWords === 0 && r.l3.fragmentOffsetUnits === 0 && r.l3.l4.kind !== "other" && !(r.l3.l4.kind === "udp" && r.l3.l4.lengthLie !== undefined));
    fc.assert(
      fc.property(undamaged, (recipe) => {
        const packet = buildPacket(recipe, EMPTY_POOL);
        const decoded = decodePacket(packet);
        expect(decoded.stop, describePacket(packet)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it("takes addresses from the pool when the recipe says so", () => {
    const pool = { ...EMPTY_POOL, ipv4: [parseIpv4("198.51.100.7")] };
    const fromPool = packetRecipeArbitrary.filter((r) => r.l3.kind === "ipv4" && r.l3.src.fromPool && r.damage.kind === "none" && r.vlans.length === 0);
    fc.assert(
      fc.property(fromPool, (recipe) => {
        // IPv4 source address: bytes 26..29 of an untagged frame (14 + 12, RFC 791).
        expect(formatIpv4(buildPacket(recipe, pool).subarray(26, 30))).toBe("198.51.100.7");
      }),
      { numRuns: 50 },
    );
  });

  it("reaches every layer kind the programs parse", () => {
    const seen = new Set<string>();
    for (const recipe of fc.sample(packetRecipeArbitrary, { numRuns: 400, seed: 3 })) {
      const text = describePacket(buildPacket(recipe, EMPTY_POOL));
      for (const layer of ["802.1Q", "IPv4", "IPv6", "ARP", "TCP", "UDP", "ICMP", "ICMPv6", "fragment", "hop-by-hop"]) if (text.includes(layer)) seen.add(layer);
    }
    expect([...seen].sort()).toEqual(["802.1Q", "ARP", "ICMP", "ICMPv6", "IPv4", "IPv6", "TCP", "UDP", "fragment", "hop-by-hop"]);
  });
});

describe("packet pool", () => {
  it("finds the IPv4 address and the port inside a flow key", () => {
    const map = createMap({ name: "flows", type: MapType.HASH, keySize: 8, valueSize: 4, maxEntries: 4, flags: 0 }, { cpus: 1 });
    // {be32 203.0.113.9, be16 443, u16 pad}
    map.sysUpdate(Uint8Array.of(203, 0, 113, 9, 0x01, 0xbb, 0, 0), new Uint8Array(4), UpdateFlag.ANY);
    const pool = harvestPool([map]);
    expect(pool.ipv4.map(formatIpv4)).toContain("203.0.113.9");
    expect(pool.ports).toContain(443);
  });
});

const defs = [
  { name: "h", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
  { name: "a", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
  { name: "lru", type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 },
  { name: "lpm", type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 16, flags: 1 },
  { name: "pc", type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 },
];
const fresh = (): SimMap[] => defs.map((d) => createMap(d, { cpus: 1 }));

// Replays recorded writes the way the kernel side does, on fresh maps.
function replay(writes: readonly StateWrite[]): SimMap[] {
  const maps = fresh();
  for (const w of writes) {
    if (w.kind === "update") expect(maps[w.mapIndex].sysUpdate(w.key, w.value, w.flags, 0)).toBe(0);
    else if (w.kind === "delete") expect(maps[w.mapIndex].sysDelete(w.key, 0)).toBe(0);
  }
  return maps;
}

describe("map-state arbitrary", () => {
  it("edits copies: the base maps stay as they were", () => {
    fc.assert(
      fc.property(mapStateArbitrary(defs), (state) => {
        const base = fresh();
        base[0].sysUpdate(Uint8Array.of(1, 0, 0, 0), new Uint8Array(8).fill(7), UpdateFlag.ANY);
        const before = base.map((m) => JSON.stringify(dumpMap(m)));
        applyMapState(base, [], state);
        expect(base.map((m) => JSON.stringify(dumpMap(m)))).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it("records writes that rebuild the same contents on fresh maps (what the kernel side replays)", () => {
    fc.assert(
      fc.property(mapStateArbitrary(defs), (state) => {
        const applied = applyMapState(fresh(), [], state);
        const replayed = replay(applied.writes);
        expect(replayed.map((m) => JSON.stringify(dumpMap(m)))).toEqual(applied.maps.map((m) => JSON.stringify(dumpMap(m))));
      }),
      { numRuns: 150 },
    );
  });

  it("fills a small hash table to capacity", () => {
    const state = [[{ kind: "fill" as const, base: new Uint8Array(4), value: { kind: "small" as const, value: 1 } }], [], [], [], []];
    const applied = applyMapState(fresh(), [], state);
    expect(applied.maps[0].entries().length).toBe(16);
  });

  it("writes LPM prefixes with the length asked", () => {
    const state = [[], [], [], [{ kind: "prefix" as const, prefixLength: 24, data: { kind: "own" as const, bytes: Uint8Array.of(10, 1, 2, 0) }, value: { kind: "small" as const, value: 1 } }], []];
    const applied = applyMapState(fresh(), [], state);
    // struct bpf_lpm_trie_key: u32 prefixlen (host order), then the address.
    expect(applied.maps[3].entries().map((e) => hex(e.key))).toEqual(["180000000a010200"]);
  });
});

describe("replay token", () => {
  it("round-trips", () => {
    const token = { seed: -123456, path: "17:3:0:0", cores: [1, 8, 16], preset: "nfp-4000", kernel: true, generated: false };
    expect(decodeReplayToken(encodeReplayToken(token))).toEqual(token);
  });

  it("refuses what offload-sim did not print, in one sentence", () => {
    for (const text of ["", "not a token!", Buffer.from("[]").toString("base64url"), Buffer.from('{"v":9}').toString("base64url"), Buffer.from('{"v":1,"s":1,"p":"x"}').toString("base64url")]) {
      expect(() => decodeReplayToken(text)).toThrow(EquivInputError);
    }
    expect(() => decodeReplayToken("abc")).toThrow(/^--replay: 'abc' is not a replay token offload-sim printed \(.*\)\.$/);
  });
});
