// Where two executions of one packet part ways: the host interpreter's eBPF
// steps against the NIC's microcode steps, grouped by the eBPF instruction
// each microcode instruction implements. Control flow diverges where the
// sequences of eBPF pcs differ; when they agree, a value diverges at the
// first eBPF instruction after whose code a register word's home (the NIC
// register the image says the instruction leaves it in) does not hold the
// host's value of that word. Words the image gives no register home there
// (folded constants, spill slots, results another instruction finishes) are
// looked for among the registers the instruction's code wrote instead.
import { registerName } from "../../hw-model/isa/register.ts";
import { classify, formatInstruction, type Program } from "../ebpf/index.ts";
import { Segment, segmentBase, type TraceStep } from "../interp/index.ts";
import type { HomeWrite } from "../offload/nic-image.ts";
import type { MicroStep } from "./nic-target.ts";

// Steps shown before the divergence.
const CONTEXT_STEPS = 6;

export interface LockstepRow {
  readonly ebpfPc: number | undefined;
  readonly text: string;
  // Registers the host changed, "r2 = 0x...".
  readonly host: readonly string[];
  readonly micro: readonly MicroStep[];
  // The host's r0..r10 before the instruction ran.
  readonly before: readonly bigint[];
}

export type Divergence =
  | { readonly kind: "control"; readonly rows: readonly LockstepRow[]; readonly hostPc: number | undefined; readonly nicPc: number | undefined }
  // `word`: the half of the host's new value the NIC lacks, in hex; `home`: the NIC register that should hold it, and what it holds.
  | { readonly kind: "value"; readonly rows: readonly LockstepRow[]; readonly register: string; readonly half: "low" | "high"; readonly word: string; readonly home?: { readonly name: string; readonly holds: string } }
  | { readonly kind: "none"; readonly rows: readonly LockstepRow[]; readonly handedToHostAt?: number };

interface Group {
  readonly ebpfPc: number | undefined;
  readonly steps: MicroStep[];
}

const hex64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;
const hex32 = (v: bigint): string => `0x${Number(BigInt.asUintN(32, v)).toString(16).padStart(8, "0")}`;

function instructionText(insns: Program, pc: number | undefined): string {
  if (pc === undefined) return "(stage glue)";
  const form = classify(insns[pc], insns[pc + 1]);
  return typeof form === "string" ? `(invalid: ${form})` : formatInstruction(form);
}

// Microcode steps grouped per eBPF instruction; glue (no origin) joins the group before it.
function groupMicro(trace: readonly MicroStep[]): Group[] {
  const groups: Group[] = [];
  for (const step of trace) {
    const last = groups[groups.length - 1];
    if (last && (step.ebpfPc === undefined || step.ebpfPc === last.ebpfPc)) last.steps.push(step);
    else groups.push({ ebpfPc: step.ebpfPc, steps: [step] });
  }
  return groups;
}

// What the host changed with step i: registers whose value differs in the next step's snapshot (same frame).
function hostChanges(steps: readonly TraceStep[], i: number): { readonly reg: number; readonly value: bigint }[] {
  const now = steps[i];
  const next = steps[i + 1];
  if (!next || next.depth !== now.depth) return [];
  const out: { reg: number; value: bigint }[] = [];
  for (let r = 0; r < now.regs.length; r++) if (now.regs[r] !== next.regs[r]) out.push({ reg: r, value: next.regs[r] });
  return out;
}

// How far from its segment's base a host pointer may stray and still be read as one (the interpreter's regions start mid-segment).
const POINTER_REACH = 1n << 30n;

// A host register holding a pointer (packet, stack, context, map value...): its NIC counterpart is a NIC
// address, not the same number. Read from the interpreter's address layout (src/interp/memory.ts); a scalar
// that happens to look like an address is taken for one (its value is then not compared here; the outcome still is).
export function looksLikePointer(value: bigint): boolean {
  const v = BigInt.asUintN(64, value);
  const segment = Number(v >> 32n);
  if (segment < Segment.CONTEXT || (segment > Segment.FUNCTIONS && segment < Segment.STACK)) return false;
  const fromBase = v - segmentBase(segment);
  return fromBase > -POINTER_REACH && fromBase < POINTER_REACH;
}

// The high half is zero or copies the low half's sign bit.
function impliedHigh(value: bigint): boolean {
  const v = BigInt.asUintN(64, value);
  return v === BigInt.asUintN(32, v) || BigInt.asUintN(64, BigInt.asIntN(32, v)) === v;
}

// The register homes an instruction's code writes, by eBPF register: "lo"/"hi" -> NIC register name (spill slots left out).
function registerHomesAt(homes: ReadonlyMap<number, readonly HomeWrite[]> | undefined, pc: number | undefined): Map<number, { lo?: string; hi?: string }> {
  const out = new Map<number, { lo?: string; hi?: string }>();
  for (const w of (pc === undefined ? undefined : homes?.get(pc)) ?? []) {
    if (w.home.kind !== "reg") continue;
    out.set(w.reg, { ...out.get(w.reg), [w.half]: registerName(w.home.reg) });
  }
  return out;
}

// `lowered`: the eBPF pcs that have microcode somewhere in the image; a host step at any other pc (an
// instruction the compiler folded away, such as a copy of the context pointer) has no group to meet.
// `homes`: the image's registerHomes (where each instruction's code leaves each register word).
export function firstDivergence(
  insns: Program,
  hostSteps: readonly TraceStep[],
  micro: readonly MicroStep[],
  handedToHostAt?: number,
  lowered?: ReadonlySet<number>,
  homes?: ReadonlyMap<number, readonly HomeWrite[]>,
): Divergence {
  const groups = groupMicro(micro);
  const rows: LockstepRow[] = [];
  // The NIC's registers as the trace has written them so far: name -> 32-bit value in hex.
  const held = new Map<string, string>();
  const row = (i: number, group: Group | undefined): LockstepRow => {
    const exact = registerHomesAt(homes, hostSteps[i].pc);
    const where = (reg: number, value: bigint): string => {
      const home = exact.get(reg);
      if (!group || looksLikePointer(value)) return "";
      if (!home) return ` ${whereHeld(value, group, held)}`;
      const word = (name: string | undefined): string => (name === undefined ? "-" : `${name}=${held.get(name) ?? "?"}`);
      return ` (home lo ${word(home.lo)}, hi ${word(home.hi)})`;
    };
    return {
      ebpfPc: hostSteps[i].pc,
      text: instructionText(insns, hostSteps[i].pc),
      host: hostChanges(hostSteps, i).map((c) => `r${c.reg} = ${hex64(c.value)}${where(c.reg, c.value)}`),
      micro: group?.steps ?? [],
      before: hostSteps[i].regs,
    };
  };
  let g = 0;
  // Leading glue (stage entry) has no eBPF pc.
  while (g < groups.length && groups[g].ebpfPc === undefined) g++;
  for (let i = 0; i < hostSteps.length; i++) {
    const group = groups[g];
    if (group === undefined) {
      return { kind: "none", rows: window(rows), ...(handedToHostAt === undefined ? {} : { handedToHostAt }) };
    }
    if (group.ebpfPc !== hostSteps[i].pc && lowered !== undefined && !lowered.has(hostSteps[i].pc)) {
      rows.push(row(i, undefined));
      continue;
    }
    for (const step of group.steps) for (const w of step.writes) held.set(writeRegister(w), writeValue(w));
    rows.push(row(i, group));
    if (group.ebpfPc !== hostSteps[i].pc) return { kind: "control", rows: window(rows), hostPc: hostSteps[i].pc, nicPc: group.ebpfPc };
    // The NIC's last group hands this instruction to the host part, which runs it: nothing to compare on the NIC.
    if (g === groups.length - 1 && handedToHostAt === group.ebpfPc) return { kind: "none", rows: window(rows), handedToHostAt };
    // Every register word this instruction's code leaves in its home must hold the host's value after it.
    const exact = registerHomesAt(homes, group.ebpfPc);
    const after = hostSteps[i + 1];
    if (after !== undefined && after.depth === hostSteps[i].depth) {
      for (const [reg, home] of exact) {
        const value = after.regs[reg];
        if (looksLikePointer(value)) continue;
        for (const half of ["lo", "hi"] as const) {
          const name = home[half];
          const holds = name === undefined ? undefined : held.get(name);
          const word = hex32(half === "lo" ? value : value >> 32n);
          if (name !== undefined && holds !== undefined && holds !== word) {
            return { kind: "value", rows: window(rows), register: `r${reg}`, half: half === "lo" ? "low" : "high", word, home: { name, holds } };
          }
        }
      }
    }
    // The compiler may finish a result in the next instruction's code (a multiply's high word read later).
    const writtenHere = new Set([...group.steps, ...(groups[g + 1]?.steps ?? [])].flatMap((s) => s.writes.map(writeValue)));
    const inRegisters = new Set([...held.values(), ...writtenHere]);
    // The low word of a result this microcode computes must be among its writes; one that writes nothing only renamed a register.
    const lowWords = group.steps.some((s) => s.writes.length > 0) ? writtenHere : inRegisters;
    for (const change of hostChanges(hostSteps, i)) {
      if (looksLikePointer(change.value)) continue;
      const home = exact.get(change.reg);
      // A changed high word may also sit in a register kept from before (an operand's high word passed through).
      // A half the compiler knows without a register is not asked for: a zero, or a high half that is the low half's sign.
      const before = hostSteps[i].regs[change.reg];
      const loNeeded = BigInt.asUintN(32, before) !== BigInt.asUintN(32, change.value) && BigInt.asUintN(32, change.value) !== 0n;
      const hiNeeded = BigInt.asUintN(32, before >> 32n) !== BigInt.asUintN(32, change.value >> 32n) && !impliedHigh(change.value);
      if (loNeeded && home?.lo === undefined && !lowWords.has(hex32(change.value))) return { kind: "value", rows: window(rows), register: `r${change.reg}`, half: "low", word: hex32(change.value) };
      if (hiNeeded && home?.hi === undefined && !inRegisters.has(hex32(change.value >> 32n))) {
        return { kind: "value", rows: window(rows), register: `r${change.reg}`, half: "high", word: hex32(change.value >> 32n) };
      }
    }
    g++;
  }
  return { kind: "none", rows: window(rows) };
}

// "a3=0x0000abcd" -> "a3", "0x0000abcd".
const writeRegister = (w: string): string => w.slice(0, w.indexOf("=")).trim();
const writeValue = (w: string): string => w.slice(w.indexOf("=") + 1).trim();

// The NIC registers holding a host value's halves: "(lo a3, hi b3)", preferring the ones this group wrote.
function whereHeld(value: bigint, group: Group, held: ReadonlyMap<string, string>): string {
  const find = (half: string): string => {
    for (let s = group.steps.length - 1; s >= 0; s--) for (const w of group.steps[s].writes) if (writeValue(w) === half) return writeRegister(w);
    for (const [reg, v] of held) if (v === half) return reg;
    return "in no register";
  };
  const lo = find(hex32(value));
  return impliedHigh(value) ? `(lo ${lo})` : `(lo ${lo}, hi ${find(hex32(value >> 32n))})`;
}

const window = (rows: LockstepRow[]): LockstepRow[] => rows.slice(-CONTEXT_STEPS);

export function formatDivergence(d: Divergence): string[] {
  const lines: string[] = [];
  switch (d.kind) {
    case "control":
      lines.push(`control flow parts at the last row: the host runs eBPF pc ${d.hostPc ?? "-"}, the NIC runs microcode for eBPF pc ${d.nicPc ?? "(glue)"}`);
      break;
    case "value":
      lines.push(
        d.home !== undefined
          ? `the last row's result differs: the host's new ${d.register} has ${d.half} word ${d.word}, but its home ${d.home.name} holds ${d.home.holds}`
          : d.half === "low"
          ? `the last row's result differs: the host's new ${d.register} has low word ${d.word}, which its microcode wrote to no register`
          : `the last row's result differs: the host's new ${d.register} has high word ${d.word}, which no NIC register holds (a lost carry or sign, or a high word the compiler computes nowhere because nothing uses it)`,
      );
      break;
    case "none":
      lines.push(
        d.handedToHostAt === undefined
          ? "the eBPF instructions and their register results agree step for step; the difference is in memory (packet, stack or map) or after the last step"
          : `the NIC part agrees step for step up to the hand-over to the host at eBPF pc ${d.handedToHostAt}; the difference is in memory or in the hand-over`,
      );
      break;
  }
  d.rows.forEach((r, k) => {
    // The last row's operands: every host register as it stood before the instruction.
    if (k === d.rows.length - 1 && d.kind !== "none") lines.push(`host registers before eBPF pc ${r.ebpfPc ?? "-"}: ${r.before.map((v, reg) => `r${reg}=${hex64(v)}`).join(" ")}`);
    lines.push(`eBPF pc ${r.ebpfPc ?? "-"}: ${r.text}${r.host.length > 0 ? `   host: ${r.host.join(", ")}` : ""}`);
    for (const m of r.micro) lines.push(`    s${m.stage} pc ${String(m.pc).padStart(4)}  ${m.text}${m.writes.length > 0 ? `   -> ${m.writes.join(", ")}` : ""}`);
  });
  return lines;
}

// The host's last `count` steps, each with the registers it changed (when the NIC gives no trace to set beside them).
export function hostPath(insns: Program, hostSteps: readonly TraceStep[], count = CONTEXT_STEPS): string[] {
  const from = Math.max(0, hostSteps.length - count);
  return hostSteps.slice(from).map((step, k) => {
    const changes = hostChanges(hostSteps, from + k).map((c) => `r${c.reg} = ${hex64(c.value)}`);
    return `eBPF pc ${step.pc}: ${instructionText(insns, step.pc)}${changes.length ? `   host: ${changes.join(", ")}` : ""}`;
  });
}
