// eBPF slots to IR: decode every instruction, find the basic blocks, and inline
// each bpf-to-bpf call as a fresh frame (its own r0..r10 and stack). A call
// becomes a marker and five argument copies; the callee's exits copy its r0
// into the caller's and jump back to the instruction after the call.
import { classify, slotCount, type Instruction, type Program } from "../ebpf/index.ts";
import { MAX_CALL_FRAMES } from "../interp/index.ts";
import {
  vreg,
  type FrameInfo,
  type IrBlock,
  type IrForm,
  type IrInsn,
  type IrProgram,
  type IrTerm,
  type Origin,
} from "./ir.ts";
import { defsOf, isFramePointer } from "./ir-uses.ts";
import type { OffloadSource } from "./source.ts";

interface Decoded {
  // The form at each instruction start; a string says why the slot does not decode.
  readonly forms: ReadonlyMap<number, Instruction | string>;
  readonly leaders: ReadonlySet<number>;
  readonly functionStarts: readonly number[];
}

function decode(insns: Program): Decoded {
  const forms = new Map<number, Instruction | string>();
  const leaders = new Set<number>([0]);
  const starts = new Set<number>([0]);
  for (let pc = 0; pc < insns.length; ) {
    const form = classify(insns[pc], insns[pc + 1]);
    forms.set(pc, form);
    if (typeof form === "string") {
      pc++;
      continue;
    }
    const next = pc + slotCount(form);
    switch (form.kind) {
      case "ja":
        leaders.add(pc + 1 + form.offset);
        leaders.add(next);
        break;
      case "jcond":
        leaders.add(pc + 1 + form.offset);
        leaders.add(next);
        break;
      case "exit":
        leaders.add(next);
        break;
      case "callLocal":
        starts.add(pc + 1 + form.offset);
        leaders.add(pc + 1 + form.offset);
        leaders.add(next);
        break;
      case "lddw":
        if (form.pseudo === "func") starts.add(pc + 1 + form.imm);
        break;
      default:
        break;
    }
    pc = next;
  }
  for (const s of starts) leaders.add(s);
  return { forms, leaders, functionStarts: [...starts].filter((s) => s >= 0 && s < insns.length).sort((a, b) => a - b) };
}

const rename = (form: Instruction, frame: number): Instruction => {
  const r = (reg: number): number => vreg(frame, reg);
  switch (form.kind) {
    case "alu":
      return { ...form, dst: r(form.dst), src: form.source === "reg" ? r(form.src) : 0 };
    case "neg":
    case "endian":
      return { ...form, dst: r(form.dst) };
    case "movsx":
      return { ...form, dst: r(form.dst), src: r(form.src) };
    case "jcond":
      return { ...form, dst: r(form.dst), src: form.source === "reg" ? r(form.src) : 0 };
    case "load":
    case "storeReg":
    case "atomic":
      return { ...form, dst: r(form.dst), src: r(form.src) };
    case "storeImm":
    case "lddw":
      return { ...form, dst: r(form.dst) };
    default:
      return form;
  }
};

const copy = (dst: number, src: number, origin: Origin): IrInsn => ({
  kind: "op",
  form: { kind: "alu", width: 64, op: "mov", source: "reg", dst, src, imm: 0 },
  origin,
});

export function buildIr(source: OffloadSource): IrProgram {
  const insns = source.insns;
  const decoded = decode(insns);
  const names = new Map<number, string>((source.functions ?? []).map((f) => [f.startPc, f.name]));
  const frames: FrameInfo[] = [{ index: 0, parent: undefined, depth: 0, functionPc: 0, functionName: names.get(0) ?? source.name ?? "main", callPc: undefined }];
  // For each frame: the block its exits return to, and the caller's r0.
  const returnTo = new Map<number, number>();
  const blocks: (IrBlock | undefined)[] = [];
  const ids = new Map<string, number>();
  const pending: { id: number; frame: number; pc: number }[] = [];

  const blockFor = (frame: number, pc: number): number => {
    const key = `${frame}:${pc}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = blocks.length;
      blocks.push(undefined);
      ids.set(key, id);
      pending.push({ id, frame, pc });
    }
    return id;
  };
  const resumePcOf = (frame: number, pc: number): number => {
    let f = frames[frame];
    let at = pc;
    while (f.parent !== undefined) {
      at = f.callPc!;
      f = frames[f.parent];
    }
    return at;
  };
  const stopBlock = (origin: Origin, reason: string): number => {
    const id = blocks.length;
    blocks.push({ id, frame: origin.frame, insns: [], term: { kind: "stop", origin, reason } });
    return id;
  };

  blockFor(0, 0);
  while (pending.length) {
    const { id, frame, pc: start } = pending.pop()!;
    const body: IrInsn[] = [];
    let term: IrTerm | undefined;
    let pc = start;
    for (;;) {
      const origin: Origin = { pc, frame, resumePc: resumePcOf(frame, pc) };
      const form = decoded.forms.get(pc);
      if (form === undefined) {
        term = { kind: "stop", origin, reason: pc >= insns.length ? `execution runs past the end of the program (pc ${pc})` : `pc ${pc} is inside an instruction` };
        break;
      }
      if (typeof form === "string") {
        term = { kind: "stop", origin, reason: `invalid instruction: ${form}` };
        break;
      }
      const renamed = rename(form, frame);
      const next = pc + slotCount(form);
      if (renamed.kind === "ja") {
        term = { kind: "goto", target: blockFor(frame, pc + 1 + renamed.offset), origin };
        break;
      }
      if (renamed.kind === "jcond") {
        term = { kind: "branch", cond: renamed, taken: blockFor(frame, pc + 1 + renamed.offset), fallthrough: blockFor(frame, next), origin };
        break;
      }
      if (renamed.kind === "exit") {
        if (frame === 0) term = { kind: "exit", value: vreg(0, 0), origin };
        else {
          body.push(copy(vreg(frames[frame].parent!, 0), vreg(frame, 0), origin));
          term = { kind: "goto", target: returnTo.get(frame)! };
        }
        break;
      }
      if (renamed.kind === "callLocal") {
        const target = pc + 1 + renamed.offset;
        const depth = frames[frame].depth + 1;
        let chain: number | undefined = frame;
        let recursive = false;
        while (chain !== undefined) {
          if (frames[chain].functionPc === target) recursive = true;
          chain = frames[chain].parent;
        }
        if (depth >= MAX_CALL_FRAMES || recursive || target < 0 || target >= insns.length) {
          const why = recursive ? "a recursive bpf-to-bpf call" : depth >= MAX_CALL_FRAMES ? `call nesting deeper than ${MAX_CALL_FRAMES} frames` : `call target ${target} is outside the program`;
          term = { kind: "goto", target: stopBlock(origin, why) };
          break;
        }
        const callee = frames.length;
        frames.push({ index: callee, parent: frame, depth, functionPc: target, functionName: names.get(target) ?? `func_${target}`, callPc: pc });
        returnTo.set(callee, blockFor(frame, next));
        body.push({ kind: "call", calleeFrame: callee, origin });
        for (let r = 1; r <= 5; r++) body.push(copy(vreg(callee, r), vreg(frame, r), origin));
        term = { kind: "goto", target: blockFor(callee, target) };
        break;
      }
      switch (renamed.kind) {
        case "callHelper":
          body.push({ kind: "helper", helperId: renamed.helperId >>> 0, args: [1, 2, 3, 4, 5].map((r) => vreg(frame, r)), ret: vreg(frame, 0), origin });
          break;
        case "callKfunc": {
          // The NIC firmware has no kfuncs: the call runs on the host.
          const name = source.externs?.find((e) => e.kind === "kfunc" && e.pc === pc)?.name;
          body.push({ kind: "opaque", form: renamed, origin, reason: name ? `calls the kernel function ${name} (a kfunc; the NIC firmware has none)` : "calls a kernel function (kfunc)" });
          break;
        }
          break;
        case "callx":
          body.push({ kind: "opaque", form: renamed, origin, reason: "calls through a register (callx)" });
          break;
        case "ldLegacy":
          body.push({ kind: "opaque", form: renamed, origin, reason: "uses a legacy packet load (LD_ABS/LD_IND)" });
          break;
        case "lddw":
          if (renamed.pseudo === "func" || renamed.pseudo === "btfId") {
            body.push({ kind: "opaque", form: renamed, origin, reason: renamed.pseudo === "func" ? "takes the address of a function" : "loads a kernel symbol (BTF id)" });
          } else body.push({ kind: "op", form: renamed, origin });
          break;
        default: {
          const op: IrInsn = { kind: "op", form: renamed as IrForm, origin };
          const writesFp = defsOf(op).some(isFramePointer) || (renamed.kind === "atomic" && renamed.fetch && renamed.op !== "cmpxchg" && isFramePointer(renamed.src));
          body.push(writesFp ? { kind: "opaque", form: renamed, origin, reason: "writes the read-only frame pointer r10" } : op);
          break;
        }
      }
      pc = next;
      if (decoded.leaders.has(pc)) {
        term = { kind: "goto", target: blockFor(frame, pc), origin: { pc, frame, resumePc: resumePcOf(frame, pc) } };
        break;
      }
    }
    blocks[id] = { id, frame, insns: body, term };
  }
  return { blocks: blocks as IrBlock[], frames };
}
