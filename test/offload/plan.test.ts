// Offload plans for the sample programs at 1 to 16 cores: every stage on its
// own cores within the card, stages in pipeline order (a packet only moves
// forward), each stage within the code store, handover sizes as the
// handover instructions carry them, the bottleneck the smallest bound, and
// stages balanced by replication: no stage costs more than twice the mean per
// core unless moving a core to it would not help.
import { describe, expect, it } from "vitest";
import { Op } from "../../hw-model/isa/opcode.ts";
import { programInstructionLimit, totalCores } from "../../hw-model/presets/derive.ts";
import { generate, planOffload, type OffloadPlan } from "../../src/offload/plan.ts";
import { preset, subjects } from "./corpus.ts";

const nfp = preset();
const popcount = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  for (; v; v &= v - 1) c++;
  return c;
};

function checkPlan(plan: OffloadPlan, cores: number): void {
  const image = generate(plan, nfp);
  const used = plan.stages.flatMap((s) => s.cores);
  expect(new Set(used).size, "no core serves two stages").toBe(used.length);
  expect(used.length).toBeLessThanOrEqual(cores);
  expect(Math.max(...used)).toBeLessThan(totalCores(nfp));
  for (const s of plan.stages) expect(s.cores.length, `${s.name} has a core`).toBeGreaterThan(0);
  image.stages.forEach((stage, i) => {
    expect(stage.program.insns.length).toBeLessThanOrEqual(programInstructionLimit(nfp));
    expect(plan.stages[i].microcodeInstructions).toBe(stage.program.insns.length);
    let carried = 0;
    for (const insn of stage.program.insns) {
      if (insn.op !== Op.HANDOVER) continue;
      expect(insn.n, `stage ${i} hands over forward`).toBeGreaterThan(i);
      carried = Math.max(carried, 4 * popcount(insn.imm) + insn.c + nfp.rings.descriptorBytes);
    }
    expect(plan.stages[i].handoverOutBytes).toBe(carried);
  });
  const smallest = Math.min(...plan.bounds.map((b) => b.mpps));
  expect(plan.predicted.mpps).toBe(smallest);
  expect(plan.bounds.find((b) => b.name === plan.predicted.bottleneck)?.mpps).toBe(smallest);
  // Balance: the costliest stage per core is within twice the mean, unless replication cannot fix it:
  // every other stage that has a core to spare would, one core down, cost at least as much per core.
  const perCore = plan.stages.map((s) => s.cyclesPerPacket / s.cores.length);
  const worst = perCore.indexOf(Math.max(...perCore));
  const mean = perCore.reduce((a, b) => a + b, 0) / perCore.length;
  if (perCore[worst] > 2 * mean) {
    plan.stages.forEach((s, i) => {
      if (i !== worst && s.cores.length > 1) expect(s.cyclesPerPacket / (s.cores.length - 1), `${s.name} could give a core to ${plan.stages[worst].name}`).toBeGreaterThanOrEqual(perCore[worst]);
    });
  }
}

describe("offload plans", () => {
  for (const s of subjects) {
    it(`${s.program.name}: valid and balanced plans for 1 to 16 cores and 1 to 4 stages`, () => {
      for (const cores of [1, 2, 4, 8, 16]) {
        checkPlan(planOffload(s.program, s.object.maps, nfp, { cores }), cores);
        for (const stages of [2, 3, 4].filter((k) => k <= cores)) checkPlan(planOffload(s.program, s.object.maps, nfp, { cores, stages }), cores);
      }
    });
  }

  it("uses one stage on every core when the program fits one core's code store", () => {
    const s = subjects.find((x) => x.program.name === "xdp_firewall")!;
    const plan = planOffload(s.program, s.object.maps, nfp, { cores: 8 });
    expect(plan.stages.length).toBe(1);
    expect(plan.stages[0].cores).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(plan.status).toBe("full");
    expect(plan.host).toBeNull();
  });

  it("sends the blocked part of a program to the host and says where the host takes over", () => {
    const s = subjects.find((x) => x.program.name === "xdp_router")!;
    const plan = planOffload(s.program, s.object.maps, nfp, { cores: 4 });
    expect(plan.status).toBe("partial");
    expect(plan.host).not.toBeNull();
    // The first blocked instruction is the fib_lookup call; packets reach the host there at the latest.
    const first = Math.min(...plan.capability.blockers.map((b) => b.hostResumePc));
    expect(plan.host!.exits.every((e) => e.resumePc <= first || plan.capability.blockers.some((b) => b.hostResumePc === e.resumePc))).toBe(true);
    expect(plan.bounds.some((b) => b.name.startsWith("host"))).toBe(true);
  });

  it("refuses a core count outside the card and more stages than cores", () => {
    const s = subjects[0];
    expect(() => planOffload(s.program, s.object.maps, nfp, { cores: 0 })).toThrow(/core count/);
    expect(() => planOffload(s.program, s.object.maps, nfp, { cores: totalCores(nfp) + 1 })).toThrow(/core count/);
    expect(() => planOffload(s.program, s.object.maps, nfp, { cores: 2, stages: 3 })).toThrow(/stage count/);
  });
});
