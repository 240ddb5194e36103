// Helper calls become calls of the NIC firmware's routines (hw-model/isa/fwcall.ts),
// as the nfp JIT calls the firmware's map routines: the map is the routine's
// table index (known at compile time from r1), pointers are passed as model
// addresses, and the result is widened to 64 bits the way the kernel's
// helper returns it (a pointer or a zero-extended value, or a sign-extended errno).
import { fwRoutines, type FwRoutineSignature } from "../../hw-model/isa/fwcall.ts";
import { Op } from "../../hw-model/isa/opcode.ts";
import { NONE } from "../../hw-model/isa/register.ts";
import { helperPrototype, HelperId } from "../helpers/prototypes.ts";
import type { IrInsn, VReg } from "./ir.ts";
import { readPair, writePair, type LowerCtx } from "./lower-context.ts";
import { reg, val, type Src } from "./micro-ir.ts";
import { stackOffset } from "./analysis.ts";
import { frameTop } from "./stack-layout.ts";
import { homeAddress, wholeFrameDelta } from "./stack-homes.ts";

// Which eBPF argument feeds each routine operand: a register's low or high word.
type ArgSource = { readonly arg: number; readonly word: "lo" | "hi" };

interface HelperRoute {
  readonly routine: FwRoutineSignature;
  // The eBPF argument (0-based) holding the map, when the routine takes one.
  readonly mapArg?: number;
  readonly operands: readonly ArgSource[];
}

const lo = (arg: number): ArgSource => ({ arg, word: "lo" });
const hi = (arg: number): ArgSource => ({ arg, word: "hi" });

// Operand wiring per routine name; the routine itself is found by the helper it implements.
const wiring: Readonly<Record<string, { mapArg?: number; operands: ArgSource[] }>> = {
  map_lookup: { mapArg: 0, operands: [lo(1)] },
  map_update: { mapArg: 0, operands: [lo(1), lo(2), lo(3)] },
  map_delete: { mapArg: 0, operands: [lo(1)] },
  random: { operands: [] },
  adjust_head: { operands: [lo(1)] },
  adjust_tail: { operands: [lo(1)] },
  perf_output: { mapArg: 1, operands: [lo(2), hi(2), lo(3), lo(4)] },
};

// The firmware routine implementing a helper, if the NIC has one.
export function helperRoute(helperId: number): HelperRoute | undefined {
  const proto = helperPrototype(helperId);
  if (!proto) return undefined;
  const routine = fwRoutines.find((r) => r.helper === `bpf_${proto.name}`);
  if (!routine) return undefined;
  const w = wiring[routine.name];
  if (!w) return undefined;
  return { routine, ...(w.mapArg === undefined ? {} : { mapArg: w.mapArg }), operands: w.operands };
}

export const isOffloadableHelper = (helperId: number): boolean => helperRoute(helperId) !== undefined;

export function lowerHelper(ctx: LowerCtx, insn: IrInsn & { kind: "helper" }, mapIndex: number | undefined): void {
  const b = ctx.b;
  const route = helperRoute(insn.helperId)!;
  const regs = route.operands.map((o) => {
    const p = readPair(ctx, insn.args[o.arg]);
    return b.inReg(o.word === "lo" ? homePointer(ctx, insn.args[o.arg], p.lo) : p.hi);
  });
  const d = b.temp();
  b.emit(Op.FWCALL, {
    d,
    n: route.routine.id,
    imm: mapIndex ?? 0,
    a: regs[0] ?? NONE,
    b: regs[1] ?? NONE,
    c: regs[2] ?? NONE,
    x: regs[3] ?? NONE,
  });
  let high: Src = val(0);
  if (route.routine.result === "errno") {
    const h = b.temp();
    b.shift(Op.ASR, h, reg(d), 31);
    high = reg(h);
  }
  writePair(ctx, insn.ret, { lo: reg(d), hi: high });
}

// A stack pointer as a routine must see it: the address of the bytes' home (local memory or the
// scratch window, stack-homes.ts) rather than the pointer's value in the stack layout.
function homePointer(ctx: LowerCtx, arg: VReg, word: Src): Src {
  const f = ctx.before.regs[arg];
  if (f.k !== "stack") return word;
  const at = stackOffset(f, 0);
  if (at !== undefined) return val(homeAddress(ctx.layout, ctx.homes, f.frame, frameTop(ctx.layout, f.frame) + at));
  const delta = wholeFrameDelta(ctx.layout, ctx.homes, f.frame);
  if (delta === 0) return word;
  const t = ctx.b.temp();
  ctx.b.emit(Op.ADD, { d: t, a: ctx.b.inReg(word), b: ctx.b.materialize(delta) });
  return reg(t);
}

export const mapArgOf = (helperId: number): number | undefined => helperRoute(helperId)?.mapArg;

export { HelperId };
export type { VReg };
