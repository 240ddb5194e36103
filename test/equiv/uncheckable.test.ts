// A program the host interpreter cannot run (a helper the simulator does not
// implement) has no equivalence verdict: both sides faulting alike is not
// agreement. The suite stops with one sentence naming the helper (or kfunc) and pc.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { insn } from "../../src/ebpf/instruction.ts";
import { AluOp, Class, JmpOp, PseudoCall, Source } from "../../src/ebpf/opcode.ts";
import { EquivUncheckableError } from "../../src/equiv/errors.ts";
import { runHostSide } from "../../src/equiv/host-side.ts";
import type { Compiled, NicBackend } from "../../src/equiv/nic-target.ts";
import { subjectFromObject, type EquivSubject } from "../../src/equiv/subject.ts";
import { runSuite } from "../../src/equiv/suite.ts";
import { HelperId, helperImplementations, helperPrototype } from "../../src/helpers/index.ts";

// A NIC side that is the host interpreter: it faults exactly where the host does.
const mirror: NicBackend = {
  name: "interpreter stand-in",
  cutCount: () => 1,
  compile: (subject: EquivSubject, variation): Compiled => ({
    kind: "target",
    target: { variation, planLines: ["stand-in"], run: (packet, maps, env) => ({ outcome: { ...runHostSide(subject, packet, maps, env).outcome, side: "nic" } }) },
  }),
};

describe("equiv on a program the host interpreter cannot run", () => {
  it("exits with no verdict, naming the helper and the pc, instead of agreeing", () => {
    // bpf_trace_vprintk has a prototype and no implementation.
    expect(helperPrototype(HelperId.TRACE_VPRINTK)).toBeDefined();
    expect(helperImplementations.has(HelperId.TRACE_VPRINTK)).toBe(false);
    const base = subjectFromObject({ objectFile: "programs/xdp_pass.o" });
    const insns = [insn(Class.ALU64 | Source.K | AluOp.MOV, 0, 0, 0, 2), insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, HelperId.TRACE_VPRINTK), insn(Class.JMP | JmpOp.EXIT)];
    const subject: EquivSubject = { ...base, insns };
    const run = (): unknown => runSuite(fc.constant(subject), subject.mapDefs, false, { runs: 20, seed: 7, cores: [1], preset: "nfp-4000", backend: mirror });
    expect(run).toThrow(EquivUncheckableError);
    expect(run).toThrow(/cannot run this program \(pc 1: helper bpf_trace_vprintk \(id 177\) is not implemented by the simulator\)\.$/);
  });

  it("says the same of a kfunc call, which the simulator does not run either", () => {
    const base = subjectFromObject({ objectFile: "programs/xdp_pass.o" });
    const insns = [insn(Class.ALU64 | Source.K | AluOp.MOV, 0, 0, 0, 2), insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, 1234), insn(Class.JMP | JmpOp.EXIT)];
    const subject: EquivSubject = { ...base, insns };
    const run = (): unknown => runSuite(fc.constant(subject), subject.mapDefs, false, { runs: 20, seed: 7, cores: [1], preset: "nfp-4000", backend: mirror });
    expect(run).toThrow(/cannot run this program \(pc 1: call to kernel function with BTF id 1234 \(a kfunc\): kfuncs are not simulated\)\.$/);
  });
});
