import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { disassemble, loadPreset, simulate, type Microprogram } from "../../hw-model/index.ts";
import { arrayMap, hashMap, hex } from "./helpers.ts";
import { TraceWriter, describeTrace } from "../../hw-model/exec/trace.ts";
import { Executor } from "../../hw-model/exec/executor.ts";
import { testParams } from "./helpers.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";
import { randomProgram } from "./random-program.ts";

const program = randomProgram;

const packet = fc.uint8Array({ minLength: 14, maxLength: 200 });

describe("the executor on random programs", () => {
  it("ends every packet in a verdict, the host or a fault with a pc, never an exception", () => {
    fc.assert(
      fc.property(program(24), program(12), packet, (stage0, stage1, data) => {
        const maps = [arrayMap(8, 4), hashMap(4, 8, 8)].map((m) => new MapRuntime(m, 7, 1, 64, false));
        const exec = new Executor({ stages: [stage0, stage1], maps, pcieTarget: 9 }, testParams, 3);
        const trace = new TraceWriter();
        let result;
        try {
          result = exec.runPacket({ data }, trace);
        } catch (e) {
          throw new Error(`threw ${String(e)} on packet ${hex(data)}\nstage 0:\n${disassemble(stage0)}\nstage 1:\n${disassemble(stage1)}`);
        }
        expect(["verdict", "host", "fault"]).toContain(result.outcome.kind);
        if (result.outcome.kind === "fault") expect(result.outcome.message).toMatch(/^pc \d+ \(/);
        // The trace is well formed and ends the last stage.
        const lines = describeTrace(trace.buf, trace.length);
        expect(lines[lines.length - 1]).toMatch(/^end /);
      }),
      { numRuns: 400 },
    );
  });

  it("gives the same result for the same packet and seed (deterministic)", () => {
    fc.assert(
      fc.property(program(20), packet, (stage, data) => {
        const make = () => new Executor({ stages: [stage], maps: [new MapRuntime(arrayMap(8, 4), 7, 1, 64, false)], pcieTarget: 9 }, testParams, 5);
        const r1 = make().runPacket({ data });
        const r2 = make().runPacket({ data });
        expect(r2.outcome).toEqual(r1.outcome);
        expect(hex(r2.data)).toBe(hex(r1.data));
      }),
      { numRuns: 100 },
    );
  });
});

describe("the timing model on random programs", () => {
  it("accounts for every packet exactly once, whatever the program does", () => {
    const preset = loadPreset("nfp-4000-small");
    fc.assert(
      fc.property(program(16), fc.array(packet, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (stage, datas, cores) => {
        const image = { stages: [{ program: stage, cores: Array.from({ length: cores }, (_, i) => i) }], maps: [{ map: arrayMap(8, 4), unit: "imem0" }, { map: hashMap(4, 8, 8), unit: "emem0" }, { map: arrayMap(8, 4), unit: "cls0" }] };
        const r = simulate(preset, image, datas.map((data) => ({ data })));
        expect(r.records.map((x) => x.id)).toEqual(datas.map((_, i) => i));
        expect(r.fates.wire + r.fates.host + r.fates.dropped + r.fates.lost).toBe(datas.length);
        for (const rec of r.records) expect(rec.endNs).toBeGreaterThanOrEqual(rec.arrivalNs);
      }),
      { numRuns: 60 },
    );
  });
});
