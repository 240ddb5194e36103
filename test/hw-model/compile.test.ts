// Compiled stages against the reference interpreter: the same random programs
// and packets through an executor that compiles and one that only interprets
// must give the same outcome (pc, message and instruction count of a fault
// included), packet bytes, perf events, work trace and map contents. Low
// instruction limits make packets stop inside loops, where compiled code hands
// the last instructions to the interpreter.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assemble, disassemble, Executor, MapRuntime, TraceWriter, describeTrace, type Microprogram, type PacketResult } from "../../hw-model/index.ts";
import { compiledSource } from "../../hw-model/exec/compile.ts";
import type { BpfMap } from "../../src/maps/types.ts";
import { arrayMap, hashMap, hex, testParams } from "./helpers.ts";
import { randomProgram } from "./random-program.ts";

interface Outcome {
  readonly result: PacketResult;
  readonly trace: string[];
  readonly maps: string[];
}

function runAll(stages: Microprogram[], datas: Uint8Array[], maxInstructionsPerPacket: number, interpretOnly: boolean): Outcome[] {
  const maps: BpfMap[] = [arrayMap(8, 4), hashMap(4, 8, 8)];
  const params = { ...testParams, maxInstructionsPerPacket };
  const exec = new Executor({ stages, maps: maps.map((m) => new MapRuntime(m, 7, 1, 64, false)), pcieTarget: 9 }, params, 3, { interpretOnly });
  return datas.map((data) => {
    const trace = new TraceWriter();
    const result = exec.runPacket({ data }, trace);
    const state: string[] = [];
    for (const m of maps) for (let k = m.getNextKey(undefined); k; k = m.getNextKey(k)) state.push(`${hex(k)}=${hex(m.lookup(k, 0)!)}`);
    return { result, trace: describeTrace(trace.buf, trace.length), maps: state };
  });
}

const comparable = (o: Outcome) => ({ ...o, result: { ...o.result, data: hex(o.result.data), perfEvents: o.result.perfEvents.map((e) => `${e.mapIndex}:${hex(e.bytes)}`) } });

describe("compiled stages", () => {
  it("behave exactly as the interpreter on random programs", () => {
    fc.assert(
      fc.property(
        randomProgram(24),
        randomProgram(12),
        fc.array(fc.uint8Array({ minLength: 14, maxLength: 200 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(7, 25, 60, 10_000),
        (stage0, stage1, datas, limit) => {
          const compiled = runAll([stage0, stage1], datas, limit, false).map(comparable);
          const interpreted = runAll([stage0, stage1], datas, limit, true).map(comparable);
          if (JSON.stringify(compiled) !== JSON.stringify(interpreted)) {
            throw new Error(
              `compiled and interpreted runs differ (limit ${limit}, packets ${datas.map(hex).join(" ")})\nstage 0:\n${disassemble(stage0)}\nstage 1:\n${disassemble(stage1)}\ncompiled: ${JSON.stringify(compiled)}\ninterpreted: ${JSON.stringify(interpreted)}`,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("count instructions and cycles as the interpreter does through a loop, a call and a return", () => {
    // A 3-iteration countdown loop (4 instructions each), a subroutine reached by bal whose rtn lands
    // on pc 7, the middle of the block after the bal, then a verdict.
    const program = assemble(`
      immed a0, #3
    loop:
      add a1, a1, #2
      nop
      sub a0, a0, #1
      bne loop
      bal a2, sub1
      immed a4, #9
      verdict pass
    sub1:
      immed a2, #7
      rtn a2
    `);
    const run = (interpretOnly: boolean) => {
      const exec = new Executor({ stages: [program], maps: [], pcieTarget: 9 }, testParams, 1, { interpretOnly });
      const trace = new TraceWriter();
      const result = exec.runPacket({ data: new Uint8Array(64) }, trace);
      return { outcome: result.outcome, instructions: result.instructions, trace: describeTrace(trace.buf, trace.length) };
    };
    const compiled = run(false);
    expect(compiled).toEqual(run(true));
    // immed + 3 * 4 + bal + immed + rtn + verdict = 17 instructions at 1 cycle; two taken bne, the bal
    // and the rtn add the 2-cycle taken-branch penalty each.
    expect(compiled.instructions).toBe(17);
    expect(compiled.trace).toEqual(["stage 0", `run ${17 + 4 * 2}`, "end verdict 2 64B"]);
  });

  it("compiles straight-line code into one block with constants folded", () => {
    const source = compiledSource(assemble("immed a0, #0x1234, <<8\nadd a1, a0, #5\nverdict drop").code, testParams)!;
    // 0x1234 << 8 = 4660 * 256
    expect(source).toContain("regs[0] = 1192960;");
    expect(source.match(/case \d+:/g)).toEqual(["case 0:"]);
  });
});
