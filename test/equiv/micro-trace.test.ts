// The executor's instruction hook as the lock-step trace uses it: a hooked run
// (every stage interpreted) ends exactly as the unhooked one (compiled code),
// the hook sees one call per instruction the packet executed, and the trace
// names stages and eBPF pcs that exist in the image.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cloneMaps, dumpMap } from "../../src/maps/index.ts";
import { runNicFunctional } from "../../src/offload/runner.ts";
import { compilePlan } from "../../src/equiv/plan-compile.ts";
import { MicroTraceRecorder } from "../../src/equiv/micro-trace.ts";
import { subjectFromObject } from "../../src/equiv/subject.ts";
import { buildPacket, packetRecipeArbitrary } from "../../src/equiv/packet-arbitrary.ts";
import { harvestPool } from "../../src/equiv/packet-pool.ts";

describe("the executor's instruction hook", () => {
  for (const [file, cores] of [["programs/xdp_firewall.o", 1], ["programs/xdp_l4_lb.o", 8]] as const) {
    it(`${file} on ${cores} core(s): a hooked run ends as the compiled one, one call per instruction`, { timeout: 60_000 }, () => {
      const subject = subjectFromObject({ objectFile: file });
      const compiled = compilePlan({ insns: subject.insns, mapDefs: subject.mapDefs, ...(subject.functions ? { functions: subject.functions } : {}), preset: "nfp-4000", variation: { cores, cut: 1 } });
      if (compiled.kind !== "image") throw new Error(`no image: ${JSON.stringify(compiled)}`);
      const image = compiled.image;
      for (const recipe of fc.sample(packetRecipeArbitrary, { numRuns: 25, seed: 5 })) {
        const packet = buildPacket(recipe, harvestPool(subject.baseMaps));
        const plainMaps = cloneMaps(subject.baseMaps);
        const plain = runNicFunctional(image, packet, plainMaps, { programs: subject.tailCalls });
        const hookedMaps = cloneMaps(subject.baseMaps);
        let calls = 0;
        const recorder = new MicroTraceRecorder(image);
        const hooked = runNicFunctional(image, packet, hookedMaps, {
          programs: subject.tailCalls,
          instructionHook: (stage, pc, regs) => {
            calls++;
            recorder.hook(stage, pc, regs);
          },
        });
        expect([hooked.action, hooked.fault, Buffer.from(hooked.packetOut).toString("hex"), hooked.stagePath]).toEqual([plain.action, plain.fault, Buffer.from(plain.packetOut).toString("hex"), plain.stagePath]);
        expect(hookedMaps.map(dumpMap)).toEqual(plainMaps.map(dumpMap));
        expect(calls).toBe(plain.nic.instructions);
        const { steps, dropped } = recorder.finish();
        expect(dropped).toBe(0);
        expect(steps.length).toBe(calls);
        // Stages in the order the packet ran them, each step's eBPF pc one the image's origins name.
        expect([...new Set(steps.map((s) => s.stage))]).toEqual([...new Set(plain.stagePath)]);
        for (const s of steps) expect(s.ebpfPc === undefined || image.stages[s.stage].origins.some((o) => o?.pc === s.ebpfPc)).toBe(true);
      }
    });
  }
});
