// A CompiledSession runs a program many times on one machine, as
// BPF_PROG_TEST_RUN's repeat does: each run must equal a fresh reference run
// on the same (carried-over) packet buffer and maps. Also: a resumed run
// (RunEnv.resume) starts where the reference starts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusMaps, environmentRoutes, loadCorpus } from "../../bench/host-corpus.ts";
import { CompiledSession } from "../../src/interp/compile-session.ts";
import type { RegisterSeed } from "../../src/interp/env.ts";
import { runTier } from "../../src/interp/compile.ts";
import { run } from "../../src/interp/run.ts";
import { createXdpBuffer, packetBytes } from "../../src/xdp/buffer.ts";
import { canonical, hex, listing } from "./compile-compare.ts";
import { INPUT_BYTES, MAP_VALUE_BYTES, programArbitrary } from "./compile-programs.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, type SimMap } from "../../src/maps/types.ts";
import { seededRandom } from "../../src/helpers/runtime.ts";

// The maps the generated programs name (compile-programs.ts): array, hash, prog_array, read-only array.
const generatedMaps = () => [
  createMap({ name: "array", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 4, flags: 0 }),
  createMap({ name: "hash", type: MapType.HASH, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 3, flags: 0 }),
  createMap({ name: "stages", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }),
  createMap({ name: "constants", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 1, flags: MapFlag.RDONLY_PROG }),
];

const corpus = loadCorpus();
const REPEATS = 3;
const RANDOM_SEED = 7;

describe("CompiledSession", () => {
  it("gives, run after run, what fresh reference runs on the same packet and maps give", () => {
    for (const program of corpus) {
      for (const c of program.cases) {
        const routes = environmentRoutes(c.environment ?? "router-netns");
        const referenceBuffer = createXdpBuffer(c.packet);
        const referenceMaps = corpusMaps(program, c.mapJson);
        const compiledBuffer = createXdpBuffer(c.packet);
        const compiledMaps = corpusMaps(program, c.mapJson);
        const session = new CompiledSession(program.insns, { maps: compiledMaps, programs: program.programs, routes, input: { kind: "xdp", buffer: compiledBuffer } });
        for (let i = 0; i < REPEATS; i++) {
          const reference = run(program.insns, { maps: referenceMaps, programs: program.programs, routes, input: { kind: "xdp", buffer: referenceBuffer } });
          const compiled = session.run();
          const where = `${program.label}: ${c.name}, run ${i + 1}, packet ${hex(packetBytes(referenceBuffer))}`;
          expect(canonical(compiled), where).toBe(canonical(reference));
          expect(hex(compiledBuffer.frame), where).toBe(hex(referenceBuffer.frame));
          expect([compiledBuffer.dataMeta, compiledBuffer.data, compiledBuffer.dataEnd], where).toEqual([referenceBuffer.dataMeta, referenceBuffer.data, referenceBuffer.dataEnd]);
          expect(canonical(compiledMaps.map((m) => m.entries())), where).toBe(canonical(referenceMaps.map((m) => m.entries())));
        }
      }
    }
  });

  it("repeat(n) leaves the same state and result as n runs", () => {
    const program = corpus.find((p) => p.label === "xdp_l4_lb")!;
    const c = program.cases[0];
    const one = createXdpBuffer(c.packet);
    const many = createXdpBuffer(c.packet);
    const oneMaps = corpusMaps(program, c.mapJson);
    const manyMaps = corpusMaps(program, c.mapJson);
    const single = new CompiledSession(program.insns, { maps: oneMaps, input: { kind: "xdp", buffer: one } });
    let last = single.run();
    for (let i = 1; i < 20; i++) last = single.run();
    const repeated = new CompiledSession(program.insns, { maps: manyMaps, input: { kind: "xdp", buffer: many } }).repeat(20);
    expect(canonical(repeated)).toBe(canonical(last));
    expect(hex(many.frame)).toBe(hex(one.frame));
  });
});

describe("CompiledSession on generated programs", () => {
  // The programs read and write the stack (some bytes before writing them) and the input or packet,
  // call helpers (some write into the stack): every run must start as a fresh reference run does.
  const outcomeOf = (result: unknown, memory: Uint8Array, maps: readonly SimMap[]): string => canonical([result, memory, maps.map((m) => m.entries())]);
  const cases = fc.constantFrom("memory" as const, "xdp" as const).chain((mode) => fc.tuple(fc.constant(mode), programArbitrary(mode, { mapValues: false })));

  it("gives, run after run, what fresh reference runs on the same memory or packet give", () => {
    fc.assert(
      fc.property(cases, fc.uint8Array({ minLength: INPUT_BYTES, maxLength: INPUT_BYTES }), ([mode, generated], input) => {
        const side = () => {
          const bytes = input.slice();
          const buffer = createXdpBuffer(bytes);
          const maps = generatedMaps();
          const memory = (): Uint8Array => (mode === "memory" ? bytes : buffer.frame);
          // The random source carries over from run to run, as in the kernel: each side has one of its own.
          const env = { maps, random: seededRandom(RANDOM_SEED), programs: new Map([[1, generated.main]]), input: mode === "memory" ? ({ kind: "memory", bytes } as const) : ({ kind: "xdp", buffer } as const) };
          return { env, maps, memory };
        };
        const reference = side();
        const compiled = side();
        const session = new CompiledSession(generated.main, compiled.env, { maxSteps: 3000 });
        for (let i = 0; i < REPEATS; i++) {
          const expected = outcomeOf(run(generated.main, reference.env, { maxSteps: 3000 }), reference.memory(), reference.maps);
          const actual = outcomeOf(session.run(), compiled.memory(), compiled.maps);
          if (actual !== expected) throw new Error(`run ${i + 1} differs:\n${listing(generated.main)}\ninput ${hex(input)}\nreference ${expected}\ncompiled ${actual}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("compiled tier: resumed runs", () => {
  it("starts at the resume pc with the seeded registers and stack, as the reference does", () => {
    const candidates = corpus.filter((p) => p.insns.length > 20);
    const seed: fc.Arbitrary<RegisterSeed | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): RegisterSeed => ({ kind: "scalar", value })),
      fc.constant<RegisterSeed>({ kind: "context" }),
      fc.integer({ min: 200, max: 400 }).map((offset): RegisterSeed => ({ kind: "packet", offset })),
      fc.integer({ min: 0, max: 512 }).map((offset): RegisterSeed => ({ kind: "stack", offset })),
    );
    fc.assert(
      fc.property(fc.nat({ max: candidates.length - 1 }), fc.nat(), fc.array(seed, { minLength: 10, maxLength: 10 }), fc.uint8Array({ maxLength: 64 }), (which, at, registers, stack) => {
        const program = candidates[which];
        const pc = at % program.insns.length;
        const c = program.cases[0];
        const outcome = (tier: "reference" | "compiled"): string => {
          const buffer = createXdpBuffer(c.packet);
          const maps = corpusMaps(program, c.mapJson);
          const result = runTier(tier, program.insns, { maps, programs: program.programs, input: { kind: "xdp", buffer }, resume: { pc, registers, stack } }, { maxSteps: 2000 });
          return canonical({ result, packet: packetBytes(buffer), maps: maps.map((m) => m.entries()) });
        };
        expect(outcome("compiled"), `${program.label} resumed at pc ${pc}`).toBe(outcome("reference"));
      }),
      { numRuns: 200 },
    );
  });
});
