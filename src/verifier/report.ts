// A verifier result for people (a few lines, or the kernel-style log) and
// for machines (JSON-ready plain values: 64-bit numbers as decimal strings).
import type { InsnFacts, RegFact, ScalarRange, VerifierResult } from "./verify.ts";

export function formatVerdict(name: string, result: VerifierResult, logLevel: 0 | 1 | 2): string {
  const lines: string[] = [];
  if (logLevel > 0) lines.push(result.log.trimEnd());
  const stats = `processed ${result.processedInsns} insns, ${result.totalStates} states (peak ${result.peakStates}, at most ${result.maxStatesPerInsn} per insn)`;
  if (result.accepted) {
    lines.push(`${name}: accepted; ${stats}`);
  } else {
    const e = result.error!;
    // A negative pc: the load failed after the verifier accepted the program (map-owners.ts).
    const where = e.pc < 0 ? "load, after verification" : e.kernelText === "" ? `insn ${e.pc}` : `insn ${e.pc}: ${e.llvmText}`;
    lines.push(`${name}: rejected at ${where}`, ...e.lines.map((line) => `  ${line}`), stats);
  }
  return `${lines.join("\n")}\n`;
}

const rangeJson = (r: ScalarRange) => ({
  umin: r.umin.toString(),
  umax: r.umax.toString(),
  smin: r.smin.toString(),
  smax: r.smax.toString(),
  knownBits: { value: `0x${r.bitsValue.toString(16)}`, mask: `0x${r.bitsMask.toString(16)}` },
});

function regJson(r: RegFact): Record<string, unknown> {
  switch (r.kind) {
    case "not_init":
      return { kind: r.kind };
    case "scalar":
      return { kind: r.kind, ...rangeJson(r.range) };
    case "ptr":
      return {
        kind: r.kind,
        type: r.type,
        offset: rangeJson(r.offset),
        ...(r.packetRange !== undefined ? { packetRange: r.packetRange } : {}),
        ...(r.mapName !== undefined ? { map: r.mapName } : {}),
        ...(r.frameNo !== undefined ? { frame: r.frameNo } : {}),
      };
    case "mixed":
      return { kind: r.kind, types: r.types };
  }
}

const insnJson = (i: InsnFacts) => ({
  pc: i.pc,
  insn: i.llvmText,
  reachable: i.reachable,
  liveRegs: i.liveRegs,
  regs: i.regs.map(regJson),
  stack: i.stack.map((slot) => ({ offset: slot.offset, bytes: slot.bytes, ...(slot.spilled ? { spilled: regJson(slot.spilled) } : {}) })),
});

export function verdictJson(name: string, result: VerifierResult, withLog: boolean): Record<string, unknown> {
  return {
    program: name,
    verdict: result.accepted ? "accepted" : "rejected",
    ...(result.error !== undefined
      ? { error: { pc: result.error.pc, insn: result.error.llvmText, message: result.error.message, lines: result.error.lines, errno: result.error.errno } }
      : {}),
    processedInsns: result.processedInsns,
    totalStates: result.totalStates,
    peakStates: result.peakStates,
    maxStatesPerInsn: result.maxStatesPerInsn,
    functions: result.functions,
    ...(withLog ? { log: result.log } : {}),
    insns: result.insns.map(insnJson),
  };
}
