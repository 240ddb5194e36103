// --explain: per stage, each eBPF instruction beside the microcode generated
// for it, with the cost model's estimate of every microcode instruction (cycles
// issued, and cycles the thread waits on memory).
import { formatInsn } from "../../hw-model/isa/disasm.ts";
import { opInfo } from "../../hw-model/isa/opcode.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import type { MemoryKind } from "../../hw-model/presets/types.ts";
import { insnCost, type CostContext } from "./cost.ts";
import type { NicImage } from "./nic-image.ts";
import type { OffloadPlan } from "./plan.ts";
import { disassembleAt } from "./source.ts";

export interface ExplainRow {
  // Set on the first microcode instruction of each eBPF instruction.
  readonly pc?: number;
  readonly ebpf?: string;
  // Set on a microcode instruction that is a branch target.
  readonly label?: string;
  readonly microcode: string;
  readonly issueCycles: number;
  readonly waitCycles: number;
}

export interface ExplainedStage {
  readonly index: number;
  readonly name: string;
  readonly cores: readonly number[];
  readonly cyclesPerPacket: number;
  readonly rows: readonly ExplainRow[];
}

export function explainPlan(plan: OffloadPlan, image: NicImage, preset: Preset): ExplainedStage[] {
  const unit = new Map<number, MemoryKind>(image.maps.map((p) => [p.map, p.kind]));
  const ctx: CostContext = { preset, maps: plan.mapDefs, unitOfMap: (m) => unit.get(m) ?? "emem" };
  return image.stages.map((stage, s) => {
    const targets = new Set<number>();
    for (const i of stage.program.insns) {
      const f = opInfo[i.op].format;
      if (f === "branch" || f === "bitbranch" || f === "link") targets.add(i.x);
    }
    const label = (pc: number): string => `L${pc}`;
    let last: number | undefined;
    const rows: ExplainRow[] = stage.program.insns.map((insn, pc) => {
      const origin = stage.origins[pc];
      const target = stage.memTargets[pc];
      const cost = insnCost(ctx, { ...insn, ...(target ? { memTarget: target } : {}) });
      const first = origin !== undefined && origin.pc !== last;
      if (origin) last = origin.pc;
      return {
        ...(first ? { pc: origin!.pc, ebpf: disassembleAt(image.source.insns, origin!.pc) } : {}),
        ...(targets.has(pc) ? { label: label(pc) } : {}),
        microcode: formatInsn(insn, label),
        issueCycles: cost.issueCycles,
        waitCycles: cost.waitCycles,
      };
    });
    const p = plan.stages[s];
    return { index: s, name: p?.name ?? `stage ${s}`, cores: p?.cores ?? [], cyclesPerPacket: p?.cyclesPerPacket ?? 0, rows };
  });
}
