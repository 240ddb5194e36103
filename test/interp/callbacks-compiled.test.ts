// The compiled tier against the reference on the realworld loops.o, whose
// programs call bpf_loop and bpf_for_each_map_elem: without facts and with
// the verifier's facts (proofs that packet accesses are in bounds, which
// reach into the callbacks), over generated traffic, with filled tables.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { runCompiled } from "../../src/interp/compile.ts";
import type { RunEnv } from "../../src/interp/env.ts";
import { run } from "../../src/interp/run.ts";
import { createMap, loadMapFile } from "../../src/maps/index.ts";
import { generateTraffic } from "../../src/traffic/index.ts";
import { verify } from "../../src/verifier/index.ts";
import { verifyOptionsFor } from "../../src/verifier/object-options.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { MAX_LINEAR_PACKET_BYTES } from "../../src/xdp/layout.ts";
import { canonical, hex, listing } from "./compile-compare.ts";

const OBJECT = "test/fixtures/realworld/loops.o";
const object = loadObject(readFileSync(OBJECT), OBJECT);
const TABLES: Readonly<Record<string, string>> = { weights: "test/interp/fixtures/loops.weights.json", budgets: "test/interp/fixtures/loops.budgets.json" };
const packets = [...generateTraffic("udp tcp icmp flows=16 size=64..600 ipv6=20% vlan=10% malformed=20% seed=11", { packets: 40 })]
  .map((p) => p.data)
  .filter((data) => data.length >= 14 && data.length <= MAX_LINEAR_PACKET_BYTES);

function maps() {
  return object.maps.map((def) => {
    const map = createMap(def);
    const file = TABLES[def.name];
    if (file !== undefined) loadMapFile(map, file);
    return map;
  });
}

describe("compiled tier on programs with callbacks (loops.o)", () => {
  for (const program of object.programs) {
    it(`${program.name}: the same results, maps and packets as the reference, with and without the verifier's facts`, () => {
      const verdict = verify(program.insns, object.maps, verifyOptionsFor(object, program));
      expect(verdict.accepted, `${program.name}: ${"reason" in verdict ? String(verdict.reason) : ""}`).toBe(true);
      expect(packets.length).toBeGreaterThan(30);
      for (const packet of packets) {
        const outcome = (tier: "reference" | "compiled" | "facts"): string => {
          const m = maps();
          const buffer = createXdpBuffer(packet);
          const env: RunEnv = { maps: m, input: { kind: "xdp", buffer } };
          const result = tier === "reference" ? run(program.insns, env) : runCompiled(program.insns, env, tier === "facts" ? { facts: verdict } : {});
          return canonical({ result, frame: buffer.frame, maps: m.map((x) => x.entries()) });
        };
        const reference = outcome("reference");
        for (const tier of ["compiled", "facts"] as const) {
          const other = outcome(tier);
          if (other !== reference) throw new Error(`${program.name} (${tier}): differs on packet ${hex(packet)}\nreference ${reference}\n${tier} ${other}\n${listing(program.insns)}`);
        }
      }
    });
  }
});
