// Where two executions of one packet part ways: the host interpreter's eBPF
// steps against the NIC's microcode steps, grouped by the eBPF instruction
// each microcode instruction implements. Control flow diverges where the
// sequences of eBPF pcs differ; when they agree, a value diverges at the
// first eBPF instruction whose result (the 32-bit halves of the registers it
// changed on the host) is written by none of its microcode instructions.
import { classify, formatInstruction, type Program } from "../ebpf/index.ts";
import type { TraceStep } from "../interp/index.ts";
import type { MicroStep } from "./nic-target.ts";

// Steps shown before the divergence.
const CONTEXT_STEPS = 6;

export interface LockstepRow {
  readonly ebpfPc: number | undefined;
  readonly text: string;
  // Registers the host changed, "r2 = 0x...".
  readonly host: readonly string[];
  readonly micro: readonly MicroStep[];
}

export type Divergence =
  | { readonly kind: "control"; readonly rows: readonly LockstepRow[]; readonly hostPc: number | undefined; readonly nicPc: number | undefined }
  | { readonly kind: "value"; readonly rows: readonly LockstepRow[]; readonly register: string }
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

// Host steps collapsed the same way (consecutive runs of one pc are one row: a one-instruction loop).
export function firstDivergence(insns: Program, hostSteps: readonly TraceStep[], micro: readonly MicroStep[], handedToHostAt?: number): Divergence {
  const groups = groupMicro(micro);
  const rows: LockstepRow[] = [];
  const row = (i: number, g: Group | undefined): LockstepRow => {
    const pc = hostSteps[i]?.pc ?? g?.ebpfPc;
    return { ebpfPc: pc, text: instructionText(insns, pc), host: i < hostSteps.length ? hostChanges(hostSteps, i).map((c) => `r${c.reg} = ${hex64(c.value)}`) : [], micro: g?.steps ?? [] };
  };
  let g = 0;
  // Leading glue (stage entry) has no eBPF pc.
  while (g < groups.length && groups[g].ebpfPc === undefined) g++;
  for (let i = 0; i < hostSteps.length; i++) {
    const group = groups[g];
    if (group === undefined) {
      return { kind: "none", rows: window(rows), ...(handedToHostAt === undefined ? {} : { handedToHostAt }) };
    }
    const current = row(i, group);
    rows.push(current);
    if (group.ebpfPc !== hostSteps[i].pc) return { kind: "control", rows: window(rows), hostPc: hostSteps[i].pc, nicPc: group.ebpfPc };
    const written = new Set(group.steps.flatMap((s) => s.writes.map((w) => w.slice(w.indexOf("=") + 1).trim())));
    for (const change of hostChanges(hostSteps, i)) {
      // A value kept only in a register pair shows both halves among the writes; one half unchanged need not be rewritten.
      const lo = hex32(change.value);
      const hi = hex32(change.value >> 32n);
      const before = hostSteps[i].regs[change.reg];
      const loChanged = BigInt.asUintN(32, before) !== BigInt.asUintN(32, change.value);
      const hiChanged = BigInt.asUintN(32, before >> 32n) !== BigInt.asUintN(32, change.value >> 32n);
      if (group.steps.some((s) => s.writes.length > 0) && ((loChanged && !written.has(lo)) || (hiChanged && !written.has(hi)))) {
        return { kind: "value", rows: window(rows), register: `r${change.reg}` };
      }
    }
    g++;
  }
  return { kind: "none", rows: window(rows) };
}

const window = (rows: LockstepRow[]): LockstepRow[] => rows.slice(-CONTEXT_STEPS);

export function formatDivergence(d: Divergence): string[] {
  const lines: string[] = [];
  switch (d.kind) {
    case "control":
      lines.push(`control flow parts at the last row: the host runs eBPF pc ${d.hostPc ?? "-"}, the NIC runs microcode for eBPF pc ${d.nicPc ?? "(glue)"}`);
      break;
    case "value":
      lines.push(`the last row's result differs: the host's new ${d.register} is not among the values its microcode wrote`);
      break;
    case "none":
      lines.push(
        d.handedToHostAt === undefined
          ? "the eBPF instructions and their register results agree step for step; the difference is in memory (packet, stack or map) or after the last step"
          : `the NIC part agrees step for step up to the hand-over to the host at eBPF pc ${d.handedToHostAt}; the difference is in memory or in the hand-over`,
      );
      break;
  }
  for (const r of d.rows) {
    lines.push(`eBPF pc ${r.ebpfPc ?? "-"}: ${r.text}${r.host.length > 0 ? `   host: ${r.host.join(", ")}` : ""}`);
    for (const m of r.micro) lines.push(`    s${m.stage} pc ${String(m.pc).padStart(4)}  ${m.text}${m.writes.length > 0 ? `   -> ${m.writes.join(", ")}` : ""}`);
  }
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
