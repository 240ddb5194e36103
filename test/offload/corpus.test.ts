// The sample programs (programs/*.o) offloaded to the NIC model: every crafted
// case of programs/expectations.json, then generated packets and map contents
// (fast-check), must give the interpreter's outcome — action, output packet,
// perf events and every map entry — for every pipeline split the partitioner
// produces (1 to 16 stages over as many cores) and every single legal cut.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Preset } from "../../hw-model/presets/types.ts";
import type { SimMap } from "../../src/maps/index.ts";
import type { NicImage } from "../../src/offload/nic-image.ts";
import { generate, legalStageStarts, planOffload } from "../../src/offload/plan.ts";
import { caseMaps, compareOne, explainMismatch, hex, preset, routesFor, subjects, type Case, type Subject } from "./corpus.ts";

const nfp: Preset = preset();
const CORE_COUNTS = [1, 2, 4, 8, 16];

const images = new Map<string, NicImage>();
function imageOf(s: Subject, stages: number, cores: number, split?: readonly number[]): NicImage {
  const key = `${s.program.name}/${stages}/${cores}/${split?.join(",") ?? ""}`;
  let image = images.get(key);
  if (!image) {
    image = generate(planOffload(s.program, s.object.maps, nfp, { cores, stages, ...(split ? { split } : {}) }), nfp);
    images.set(key, image);
  }
  return image;
}

function check(s: Subject, image: NicImage, c: Case, packet: Uint8Array, maps: readonly SimMap[]): void {
  const cmp = compareOne(s.program.insns, image, maps, packet, { programs: s.programs, routes: routesFor(c) });
  if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`${s.program.name} (${c.name}): host and NIC differ\n${explainMismatch(s.program.insns, image, packet, cmp)}`);
}

describe("sample programs: crafted cases on the NIC", () => {
  for (const s of subjects) {
    it(`${s.program.name}: every case, for the splits the partitioner makes at 1, 2, 4, 8 and 16 cores`, () => {
      const splits = new Set<string>();
      for (const cores of CORE_COUNTS) {
        for (const stages of [1, 2, 3, 4, 8, 16].filter((n) => n <= cores)) {
          const image = imageOf(s, stages, cores);
          const shape = image.stages.map((st) => st.program.insns.length).join(",");
          if (splits.has(shape)) continue;
          splits.add(shape);
          for (const c of s.cases.cases) check(s, image, c, hex(c.packet), caseMaps(s, c));
        }
      }
      expect(splits.size).toBeGreaterThan(0);
    });
  }
});

describe("sample programs: every single legal cut", () => {
  for (const s of subjects) {
    it(`${s.program.name}: two stages split at each legal position`, () => {
      for (const start of legalStageStarts(s.program, s.object.maps, nfp)) {
        const image = imageOf(s, 2, 2, [start]);
        expect(image.stages.length).toBe(2);
        for (const c of s.cases.cases) check(s, image, c, hex(c.packet), caseMaps(s, c));
      }
    });
  }
});

// A crafted packet changed a little: bytes flipped, cut short or lengthened.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("grow" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(packet: Uint8Array, changes: readonly Mutation[]): Uint8Array {
  let p = packet.slice();
  for (const m of changes) {
    if (m.kind === "flip" && p.length) p[m.at % p.length] = m.value;
    else if (m.kind === "cut") p = p.slice(0, Math.max(14, m.at % (p.length + 1)));
    else if (m.kind === "grow") p = Uint8Array.from([...p, ...m.bytes]);
  }
  return p;
}

// Extra map entries: a key and value of the map's sizes, for one of the object's maps the program can hold data in.
const entry = fc.record({ map: fc.nat(), key: fc.uint8Array({ minLength: 64, maxLength: 64 }), value: fc.uint8Array({ minLength: 64, maxLength: 64 }), keyFromPacket: fc.boolean() });

describe("sample programs: generated packets and map contents (fast-check)", () => {
  for (const s of subjects) {
    it(`${s.program.name}: mutated crafted packets with extra map entries, on 1 to 4 stages`, () => {
      fc.assert(
        fc.property(fc.nat(), fc.array(mutation, { maxLength: 3 }), fc.array(entry, { maxLength: 3 }), fc.constantFrom(1, 2, 4), (pick, changes, entries, stages) => {
          const c = s.cases.cases[pick % s.cases.cases.length];
          const packet = mutate(hex(c.packet), changes);
          const maps = caseMaps(s, c);
          for (const e of entries) {
            const map = maps[e.map % Math.max(1, maps.length)];
            if (!map || map.def.keySize === 0 || map.def.keySize > 64 || map.def.valueSize > 64) continue;
            // Keys taken from the packet hit the program's lookups far more often than random ones.
            const source = e.keyFromPacket && packet.length > 26 + map.def.keySize ? packet.subarray(26, 26 + map.def.keySize) : e.key;
            map.sysUpdate(source.slice(0, map.def.keySize), e.value.slice(0, map.def.valueSize), 0);
          }
          check(s, imageOf(s, stages, 4), c, packet, maps);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe("sample programs compiled with the verifier's facts", () => {
  it("stay exact on every crafted case when the verifier's ranges refine the compiler's", async () => {
    const { verify } = await import("../../src/verifier/index.ts");
    const { factsFromVerifier } = await import("../../src/offload/verifier-facts.ts");
    for (const s of subjects) {
      const verdict = verify(s.program.insns, s.object.maps, { license: s.object.license, logLevel: 0 });
      expect(verdict.accepted, s.program.name).toBe(true);
      const image = generate(planOffload(s.program, s.object.maps, nfp, { cores: 2, stages: 2, verifierFacts: factsFromVerifier(verdict) }), nfp);
      for (const c of s.cases.cases) check(s, image, c, hex(c.packet), caseMaps(s, c));
    }
  });
});
