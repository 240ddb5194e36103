import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Op, opTable, Flag, mk, microprogram, validateInsn, disassemble, loadPreset, simulate, type MicroInsn, type Microprogram } from "../../hw-model/index.ts";
import { IMM, NONE } from "../../hw-model/isa/register.ts";
import { fwRoutines } from "../../hw-model/isa/fwcall.ts";
import { arrayMap, hashMap, hex } from "./helpers.ts";
import { TraceWriter, describeTrace } from "../../hw-model/exec/trace.ts";
import { Executor } from "../../hw-model/exec/executor.ts";
import { testParams } from "./helpers.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";

const reg = fc.integer({ min: 0, max: 47 });
const gprA = fc.integer({ min: 0, max: 15 });
const gprB = fc.integer({ min: 16, max: 31 });
const xfer = fc.integer({ min: 32, max: 40 });
const sig = fc.integer({ min: 0, max: 15 });

// A valid instruction of any format, branch targets within `length`.
function anyInsn(length: number): fc.Arbitrary<MicroInsn> {
  const target = fc.integer({ min: 0, max: length - 1 });
  const byFormat = opTable.map((info): fc.Arbitrary<MicroInsn> => {
    const op = info.op;
    switch (info.format) {
      case "none":
        return fc.constant(mk(op));
      case "alu3":
        return fc.oneof(fc.record({ d: reg, a: gprA, b: gprB }), fc.record({ d: reg, a: reg, b: fc.constant(IMM), imm: fc.integer({ min: 0, max: 255 }) })).map((f) => mk(op, f));
      case "alu1":
        return fc.record({ d: reg, b: reg }).map((f) => mk(op, f));
      case "shift":
        return fc.record({ d: reg, a: gprA, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "dblshift":
        return fc.record({ d: reg, a: gprA, b: gprB, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "byteext":
        return fc.record({ d: reg, a: reg, imm: fc.integer({ min: 0, max: 3 }) }).map((f) => mk(op, f));
      case "ldfield":
        return fc.record({ d: reg, n: fc.integer({ min: 1, max: 15 }), b: reg, imm: fc.integer({ min: 0, max: 31 }) }).map((f) => mk(op, f));
      case "mulstart":
        return fc.record({ a: gprA, b: gprB }).map((f) => mk(op, f));
      case "dest":
        return fc.record({ d: reg }).map((f) => mk(op, f));
      case "immed":
        return fc.record({ d: reg, imm: fc.integer({ min: 0, max: 0xffff }), n: op === Op.IMMED ? fc.constantFrom(0, 8, 16) : fc.constant(0) }).map((f) => mk(op, f));
      case "branch":
        return target.map((x) => mk(op, { x }));
      case "bitbranch":
        return fc.record({ a: reg, imm: fc.integer({ min: 0, max: 31 }), x: target }).map((f) => mk(op, f));
      case "link":
        return fc.record({ d: reg, x: target }).map((f) => mk(op, f));
      case "jumpreg":
        return fc.record({ a: reg }).map((f) => mk(op, f));
      case "lmbase":
        return fc.record({ n: fc.integer({ min: 0, max: 1 }), a: reg }).map((f) => mk(op, f));
      case "lmload":
        return fc.record({ d: reg, n: fc.integer({ min: 0, max: 1 }), imm: fc.integer({ min: -64, max: 600 }), c: fc.constantFrom(1, 2, 4) }).map((f) => mk(op, f));
      case "lmstore":
        return fc.record({ a: reg, n: fc.integer({ min: 0, max: 1 }), imm: fc.integer({ min: -64, max: 600 }), c: fc.constantFrom(1, 2, 4) }).map((f) => mk(op, f));
      case "mem": {
        const bytes = op === Op.MEM_RD || op === Op.MEM_WR ? fc.constantFrom(1, 2, 4, 8, 16) : op === Op.MEM_TAS ? fc.constant(4) : fc.constantFrom(4, 8);
        return fc.record({ d: xfer, a: reg, imm: fc.integer({ min: -16, max: 200 }), c: bytes, x: sig, flags: fc.integer({ min: 0, max: Flag.LE | Flag.SWAP }) }).map((f) => mk(op, f));
      }
      case "arb":
        return fc.integer({ min: 1, max: 0xffff }).map((x) => mk(op, { x }));
      case "fwcall":
        return fc
          .record({ routine: fc.integer({ min: 0, max: fwRoutines.length - 1 }), d: reg, imm: fc.integer({ min: 0, max: 2 }), args: fc.array(reg, { minLength: 4, maxLength: 4 }) })
          .map((f) => {
            const n = fwRoutines[f.routine].args.length;
            const arg = (k: number): number => (k < n ? f.args[k] : NONE);
            return mk(op, { n: f.routine, d: f.d, imm: f.imm, a: arg(0), b: arg(1), c: arg(2), x: arg(3) });
          });
      case "csr":
        return fc.record({ d: reg, n: fc.integer({ min: 0, max: 5 }) }).map((f) => mk(op, f));
      case "handover":
        return fc.record({ n: fc.integer({ min: 0, max: 1 }), imm: fc.integer(), x: fc.integer({ min: 0, max: 64 }), c: fc.integer({ min: 0, max: 64 }) }).map((f) => mk(op, f));
      case "tohost":
        return fc.record({ imm: fc.integer(), x: fc.integer({ min: 0, max: 64 }), c: fc.integer({ min: 0, max: 64 }) }).map((f) => mk(op, f));
      case "verdict":
        return fc.oneof(fc.integer({ min: 0, max: 4 }).map((n) => mk(op, { n })), reg.map((a) => mk(op, { n: -1, a })));
    }
  });
  return fc.oneof(...byFormat).filter((i) => validateInsn(i, length) === undefined);
}

const program = (length: number): fc.Arbitrary<Microprogram> =>
  fc.array(anyInsn(length + 1), { minLength: length, maxLength: length }).map((insns) => microprogram([...insns, mk(Op.VERDICT, { n: 1 })]));

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
