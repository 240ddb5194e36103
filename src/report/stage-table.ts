// The stage table the terminal, markdown and HTML views share: one row per
// pipeline stage, the plan's figures beside what the simulation measured.
import { formatCoreSet, formatNs, formatPercent, formatRange } from "./format.ts";
import type { StageRow } from "./schema.ts";

export const STAGE_HEADER: readonly string[] = ["#", "name", "cores", "eBPF insns", "microcode", "handover", "predicted", "service", "cores busy", "threads busy"];

export function stageCells(stage: StageRow): string[] {
  return [
    String(stage.index),
    stage.name,
    formatCoreSet(stage.cores),
    formatRange(stage.ebpfRange),
    String(stage.microcodeInstructions),
    `${stage.handoverBytes} B`,
    stage.predictedCyclesPerPacket === null ? "-" : `${Math.round(stage.predictedCyclesPerPacket)} cyc`,
    formatNs(stage.simulated.meanServiceNs),
    formatPercent(stage.simulated.coreUtilization),
    formatPercent(stage.simulated.threadOccupancy),
  ];
}
