import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPreset, parsePreset, presetNames, PRESET_DIR, PresetError, execParamsOf, totalCores, programInstructionLimit, buildTopology, firmwareCyclesPerPacket } from "../../hw-model/index.ts";
import { presetSchema, type FieldSpec } from "../../hw-model/presets/schema.ts";
import { instructionTableMarkdown, parameterTablesMarkdown, sectionOf } from "../../hw-model/describe.ts";
import { opTable } from "../../hw-model/isa/opcode.ts";

const raw = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(PRESET_DIR, `${name}.json`), "utf8"));

function paths(fields: Readonly<Record<string, FieldSpec>>, prefix = ""): string[] {
  return Object.entries(fields).flatMap(([k, spec]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return spec.kind === "section" ? paths(spec.fields, p) : spec.kind === "text" ? [] : [p];
  });
}

describe("presets", () => {
  it("ships an NFP-4000-class card and a smaller and a larger variant", () => {
    const names = presetNames();
    expect(names).toEqual(expect.arrayContaining(["nfp-4000", "nfp-4000-small", "nfp-6000"]));
    const cores = (n: string) => totalCores(loadPreset(n));
    expect(cores("nfp-4000-small")).toBeLessThan(cores("nfp-4000"));
    expect(cores("nfp-6000")).toBeGreaterThan(cores("nfp-4000"));
  });

  for (const name of presetNames()) {
    it(`${name}: loads, and every parameter carries a source or a reasoned estimate`, () => {
      const preset = loadPreset(name);
      for (const p of paths(presetSchema)) {
        const source = preset.sources.get(p);
        expect(source, p).toBeDefined();
        if (source!.startsWith("estimate:")) expect(source!.length, `${p} needs its reasoning`).toBeGreaterThan(30);
      }
      // The per-thread local memory holds the eBPF stack; the program limit fits the code store.
      expect(execParamsOf(preset).localMemoryBytesPerThread).toBeGreaterThanOrEqual(preset.offload.stackBytes);
      expect(programInstructionLimit(preset)).toBeLessThanOrEqual(preset.core.codeStoreInstructions);
      expect(buildTopology(preset).units.filter((u) => u.kind === "ctm")).toHaveLength(preset.topology.islands * preset.memory.ctm.instances);
    });
  }

  it("matches the nfp firmware's capability facts for the NFP-4000 card", () => {
    const p = loadPreset("nfp-4000");
    // nic-firmware apps/nic/ebpf.uc and nfd_user_cfg.h; kernel nfp/bpf/verifier.c.
    expect(p.offload.stackBytes).toBe(512);
    expect(p.offload.maxProgramInstructions).toBe(3072);
    expect(p.offload.mapTypes).toEqual(["hash", "array"]);
    expect([p.offload.adjustHeadOffMinBytes, p.offload.adjustHeadOffMaxBytes, p.offload.adjustHeadGuaranteedSubBytes, p.offload.adjustHeadGuaranteedAddBytes]).toEqual([44, 248, 84, 112]);
    expect(p.offload.helpers).toContain("perf_event_output");
    expect(p.offload.helpers).not.toContain("redirect");
  });

  it("takes the NFP-4000's per-packet firmware cost and MAC limit from Krude et al. (CoNEXT '21, §4.1, Figure 4)", () => {
    for (const name of ["nfp-4000", "nfp-4000-small"]) {
      const p = loadPreset(name);
      // 224 cycles with host-queue selection removed; with it, XDP_DROP runs at 1.918727 Mpps per core.
      expect(p.firmware.perPacketCycles).toBe(224);
      expect((p.clock.coreMhz * 1e6) / firmwareCyclesPerPacket(p) / 1e6).toBeCloseTo(1.918727, 2);
      // No core count exceeds 54.4 Mpps, the MAC's receive rate.
      expect((p.clock.coreMhz * 1e6) / p.packet.distributionCyclesPerPacket / 1e6).toBeCloseTo(54.4, 1);
    }
  });

  const mutate = (edit: (d: Record<string, any>) => void): string => {
    const d = raw("nfp-4000");
    edit(d);
    return JSON.stringify(d);
  };
  it.each([
    ["a wrong type", (d: Record<string, any>) => (d.memory.emem.latencyCycles.value = "slow"), "memory.emem.latencyCycles.value must be a number"],
    ["a fraction where an integer is needed", (d: Record<string, any>) => (d.memory.emem.latencyCycles.value = 0.5), "memory.emem.latencyCycles.value must be an integer"],
    ["a missing field", (d: Record<string, any>) => delete d.core.codeStoreInstructions, "core.codeStoreInstructions is missing"],
    ["an unknown field", (d: Record<string, any>) => (d.core.turbo = { value: 1, source: "marketing slides" }), "core.turbo is not a known field"],
    ["a value without a source", (d: Record<string, any>) => delete d.clock.coreMhz.source, "clock.coreMhz.source must say where the value comes from"],
    ["a bare number", (d: Record<string, any>) => (d.ports.count = 2), "ports.count must be an object"],
    ["a negative value", (d: Record<string, any>) => (d.pcie.rateGbps.value = -1), "pcie.rateGbps.value must be >= 0.001"],
    ["a stack larger than a thread's local memory", (d: Record<string, any>) => (d.offload.stackBytes.value = 1024), "offload.stackBytes.value does not fit"],
    ["an unknown ring unit", (d: Record<string, any>) => (d.rings.unit.value = ["disk"]), "rings.unit.value has 'disk'"],
  ])("rejects %s with an error naming the field", (_what, edit, message) => {
    expect(() => parsePreset(mutate(edit), "nfp-4000.json")).toThrow(PresetError);
    expect(() => parsePreset(mutate(edit), "nfp-4000.json")).toThrow(`nfp-4000.json: ${message}`);
  });

  it("rejects text that is not JSON, and an unknown preset name, with one sentence", () => {
    expect(() => parsePreset("{ nope", "x.json")).toThrow(/x\.json: not valid JSON/);
    expect(() => loadPreset("nfp-9000")).toThrow(/unknown preset 'nfp-9000' \(known: .*nfp-4000/);
  });
});

describe("docs/hw-model.md", () => {
  const doc = readFileSync(new URL("../../docs/hw-model.md", import.meta.url), "utf8");
  it("has the current instruction table with every instruction", () => {
    expect(sectionOf(doc, "instructions")).toBe(instructionTableMarkdown());
    for (const info of opTable) expect(doc).toContain(`\`${info.mnemonic}`);
  });
  it("lists every parameter of every preset with its value and source", () => {
    expect(sectionOf(doc, "parameters"), "run: node bin/run-ts.js hw-model/docs-gen.ts").toBe(parameterTablesMarkdown(presetNames().map((n) => loadPreset(n))));
  });
});
