// The compiled tier against the reference interpreter on the sample programs
// (programs/*.o): every crafted case of programs/expectations.json, packets
// from the synthetic traffic generator, and mutated case packets (bytes
// flipped, frames cut or extended). Both tiers start from the same fresh
// maps; the action, the fault, the output frame, the events, the redirect,
// the instruction count and every map must be the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corpusMaps, environmentRoutes, loadCorpus, type CorpusProgram } from "../../bench/host-corpus.ts";
import { DEFAULT_CLOCK } from "../../src/helpers/runtime.ts";
import type { Tier } from "../../src/interp/compile.ts";
import { generateTraffic } from "../../src/traffic/index.ts";
import { MAX_LINEAR_PACKET_BYTES } from "../../src/xdp/layout.ts";
import { runXdp, type XdpRunOptions } from "../../src/xdp/run-xdp.ts";
import { createXdpBuffer } from "../../src/xdp/buffer.ts";
import { runCompiled } from "../../src/interp/compile.ts";
import { accessProofs } from "../../src/interp/compile-facts.ts";
import type { RunEnv } from "../../src/interp/env.ts";
import { run } from "../../src/interp/run.ts";
import { verify } from "../../src/verifier/index.ts";
import { canonical, hex, listing } from "./compile-compare.ts";

const corpus = loadCorpus();
const ROUTER_ENVIRONMENT = "router-netns";
// BPF_PROG_TEST_RUN's smallest XDP frame: an Ethernet header.
const ETH_HLEN = 14;

interface Scenario {
  readonly mapJson?: CorpusProgram["cases"][number]["mapJson"];
  readonly environment?: string;
  readonly ktimeNsAtLeast?: bigint;
}

function runTierOn(program: CorpusProgram, packet: Uint8Array, scenario: Scenario, tier: Tier): string {
  const maps = corpusMaps(program, scenario.mapJson);
  const options: XdpRunOptions = {
    tier,
    programs: program.programs,
    routes: environmentRoutes(scenario.environment ?? ROUTER_ENVIRONMENT),
    clock: { ...DEFAULT_CLOCK, startNs: DEFAULT_CLOCK.startNs + (scenario.ktimeNsAtLeast ?? 0n) },
  };
  const out = runXdp(program.insns, packet, maps, options);
  return canonical({ out, maps: maps.map((map) => map.entries()) });
}

function difference(program: CorpusProgram, packet: Uint8Array, scenario: Scenario): string | undefined {
  const reference = runTierOn(program, packet, scenario, "reference");
  const compiled = runTierOn(program, packet, scenario, "compiled");
  if (reference === compiled) return undefined;
  return [
    `${program.label}: the compiled tier differs from the reference interpreter`,
    `packet: ${hex(packet)}`,
    `reference: ${reference}`,
    `compiled:  ${compiled}`,
    `program (${program.insns.length} slots):`,
    listing(program.insns),
  ].join("\n");
}

const check = (text: string | undefined): void => {
  if (text !== undefined) throw new Error(text);
};

// A spread of traffic: every protocol, both IP versions, VLAN tags, SYN floods and malformed frames.
const TRAFFIC_SPEC = "udp tcp icmp flows=64 size=64..1518 ipv6=30% vlan=10% synflood=10% malformed=15% seed=7";
const generated = [...generateTraffic(TRAFFIC_SPEC, { packets: 28 })].map((p) => p.data).filter((data) => data.length >= ETH_HLEN && data.length <= MAX_LINEAR_PACKET_BYTES);

describe("compiled tier vs reference interpreter: sample programs", () => {
  it("has sample programs with cases to compare", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(12);
    expect(generated.length).toBeGreaterThan(20);
  });

  for (const program of corpus) {
    it(`${program.label}: agrees on every case of expectations.json`, () => {
      for (const c of program.cases) check(difference(program, c.packet, c));
    });

    it(`${program.label}: agrees on generated traffic`, () => {
      for (const packet of generated) check(difference(program, packet, {}));
    });
  }

  it("proves packet accesses in bounds from the verifier's facts on every program that reads the packet", () => {
    // xdp_pass and xdp_drop return a constant; xdp_trim reads only data and data_end from the context.
    const noPacketReads = new Set(["xdp_pass", "xdp_drop", "xdp_trim"]);
    for (const program of corpus) {
      if (noPacketReads.has(program.label)) continue;
      expect(accessProofs(program.insns, verify(program.insns, program.object.maps)).packetInBounds.size, program.label).toBeGreaterThan(0);
    }
  });

  it("reads data and data_end inline from the verifier's facts on every program that reads the packet's edges", () => {
    // Every sample except xdp_pass and xdp_drop starts with ctx->data and ctx->data_end (see programs/*.c).
    const constant = new Set(["xdp_pass", "xdp_drop"]);
    for (const program of corpus) {
      if (constant.has(program.label)) continue;
      const edges = new Set(accessProofs(program.insns, verify(program.insns, program.object.maps)).packetEdges.values());
      expect([edges.has("data"), edges.has("dataEnd")], program.label).toEqual([true, true]);
    }
  });

  for (const program of corpus) {
    it(`${program.label}: with the verifier's facts, agrees on every case and on generated traffic`, () => {
      const verdict = verify(program.insns, program.object.maps);
      expect(verdict.accepted, program.label).toBe(true);
      const scenarios = [...program.cases.map((c) => ({ packet: c.packet, scenario: c as Scenario })), ...generated.map((packet) => ({ packet, scenario: {} as Scenario }))];
      for (const { packet, scenario } of scenarios) {
        const outcome = (tier: "reference" | "facts"): string => {
          const maps = corpusMaps(program, scenario.mapJson);
          const buffer = createXdpBuffer(packet);
          const env: RunEnv = { maps, programs: program.programs, routes: environmentRoutes(scenario.environment ?? ROUTER_ENVIRONMENT), input: { kind: "xdp", buffer } };
          const result = tier === "reference" ? run(program.insns, env) : runCompiled(program.insns, env, { facts: verdict });
          return canonical({ result, frame: buffer.frame, offsets: [buffer.dataMeta, buffer.data, buffer.dataEnd], maps: maps.map((m) => m.entries()) });
        };
        const reference = outcome("reference");
        const compiled = outcome("facts");
        if (compiled !== reference) throw new Error(`${program.label} (verifier facts): differs on packet ${hex(packet)}\nreference ${reference}\ncompiled  ${compiled}\n${listing(program.insns)}`);
      }
    });
  }

  it("agrees on mutated case packets (flipped bytes, cut or extended frames)", () => {
    const cases = corpus.flatMap((program) => program.cases.map((c) => ({ program, c })));
    const mutation = fc.record({
      which: fc.nat({ max: cases.length - 1 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      length: fc.oneof(fc.constant(undefined), fc.integer({ min: ETH_HLEN, max: 200 })),
    });
    fc.assert(
      fc.property(mutation, ({ which, flips, length }) => {
        const { program, c } = cases[which];
        const packet = new Uint8Array(length ?? c.packet.length);
        packet.set(c.packet.subarray(0, packet.length));
        for (const [at, bits] of flips) packet[at % packet.length] ^= bits;
        check(difference(program, packet, c));
      }),
      { numRuns: 300 },
    );
  });
});
