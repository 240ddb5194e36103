// Figures per program from the per-case measurements, the summary the
// targets are checked against (the median sample program), the table on
// stdout and the JSON written to bench/results/.
import type { CaseFigures } from "./host-tiers.ts";
import { median } from "./host-timing.ts";
import type { HwModelOutcome, VerifierFigures } from "./host-hooks.ts";
import type { MachineInfo } from "./host-machine.ts";

// The targets of issue 11: the compiled tier within 5x of the kernel JIT per packet, and at least
// 10x faster than the reference interpreter, both on the median sample program.
export const TARGET_KERNEL_RATIO = 5;
export const TARGET_REFERENCE_SPEEDUP = 10;

export interface ProgramFigures {
  readonly label: string;
  // The compiled column used the verifier's facts.
  readonly compiledWithFacts: boolean;
  readonly insns: number;
  readonly cases: readonly CaseFigures[];
  // Means over the program's cases (each case is one crafted packet).
  readonly steps: number;
  readonly kernelNs: number | undefined;
  readonly kernelReportedNs: number | undefined;
  readonly compiledNs: number;
  readonly referenceExecNs: number;
  readonly setupNs: number;
  readonly compiledCallNs: number;
  readonly referenceCallNs: number;
  // compiled / kernel, and reference / compiled (execution); reference call / compiled call.
  readonly kernelRatio: number | undefined;
  readonly referenceSpeedup: number;
  readonly callSpeedup: number;
  readonly verifier: { readonly ms: number; readonly accepted: boolean } | undefined;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export function programFigures(label: string, insns: number, cases: readonly CaseFigures[], verifier: VerifierFigures | undefined): ProgramFigures {
  const kernel = cases.every((c) => c.kernelNs !== undefined) ? mean(cases.map((c) => c.kernelNs!)) : undefined;
  const kernelReported = cases.every((c) => c.kernelReportedNs !== undefined) ? mean(cases.map((c) => c.kernelReportedNs!)) : undefined;
  const compiledNs = mean(cases.map((c) => c.compiledNs));
  const referenceExecNs = mean(cases.map((c) => c.referenceExecNs));
  const compiledCallNs = mean(cases.map((c) => c.compiledCallNs));
  const referenceCallNs = mean(cases.map((c) => c.referenceCallNs));
  return {
    label,
    compiledWithFacts: verifier?.accepted === true,
    insns,
    cases,
    steps: mean(cases.map((c) => c.steps)),
    kernelNs: kernel,
    kernelReportedNs: kernelReported,
    compiledNs,
    referenceExecNs,
    setupNs: mean(cases.map((c) => c.setupNs)),
    compiledCallNs,
    referenceCallNs,
    kernelRatio: kernel === undefined ? undefined : compiledNs / kernel,
    referenceSpeedup: referenceExecNs / compiledNs,
    callSpeedup: referenceCallNs / compiledCallNs,
    verifier: verifier === undefined ? undefined : { ms: verifier.ms, accepted: verifier.accepted },
  };
}

export interface Summary {
  // The program whose compiled/kernel ratio is the median one (the lower middle for an even count).
  readonly medianKernelProgram: string | undefined;
  readonly medianKernelRatio: number | undefined;
  readonly medianReferenceProgram: string;
  readonly medianReferenceSpeedup: number;
  readonly medianCallSpeedup: number;
  readonly kernelTargetMet: boolean | undefined;
  readonly referenceTargetMet: boolean;
}

function medianBy(programs: readonly ProgramFigures[], key: (p: ProgramFigures) => number): ProgramFigures {
  const sorted = [...programs].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1];
}

export function summarize(programs: readonly ProgramFigures[]): Summary {
  const withKernel = programs.filter((p) => p.kernelRatio !== undefined);
  const kernelMedian = withKernel.length === programs.length && programs.length > 0 ? medianBy(programs, (p) => p.kernelRatio!) : undefined;
  const referenceMedian = medianBy(programs, (p) => p.referenceSpeedup);
  return {
    medianKernelProgram: kernelMedian?.label,
    medianKernelRatio: kernelMedian?.kernelRatio,
    medianReferenceProgram: referenceMedian.label,
    medianReferenceSpeedup: referenceMedian.referenceSpeedup,
    medianCallSpeedup: median(programs.map((p) => p.callSpeedup)),
    kernelTargetMet: kernelMedian === undefined ? undefined : kernelMedian.kernelRatio! <= TARGET_KERNEL_RATIO,
    referenceTargetMet: referenceMedian.referenceSpeedup >= TARGET_REFERENCE_SPEEDUP,
  };
}

const ns = (value: number | undefined): string => (value === undefined ? "-" : value >= 100_000 ? `${(value / 1000).toFixed(0)}k` : value.toFixed(0));
const ratio = (value: number | undefined): string => (value === undefined ? "-" : value >= 100 ? value.toFixed(0) : value.toFixed(1));

export function formatTable(programs: readonly ProgramFigures[]): string {
  const header = ["program", "insns", "steps", "kernel ns", "(own)", "compiled ns", "x kernel", "reference ns", "ref/comp", "setup ns", "call comp ns", "call ref ns", "call ref/comp", "verifier ms"];
  const rows = programs.map((p) => [
    p.label,
    String(p.insns),
    p.steps.toFixed(0),
    ns(p.kernelNs),
    ns(p.kernelReportedNs),
    ns(p.compiledNs),
    ratio(p.kernelRatio),
    ns(p.referenceExecNs),
    ratio(p.referenceSpeedup),
    ns(p.setupNs),
    ns(p.compiledCallNs),
    ns(p.referenceCallNs),
    ratio(p.callSpeedup),
    p.verifier === undefined ? "-" : `${p.verifier.ms.toFixed(2)}${p.verifier.accepted ? "" : " (rejected)"}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatSummary(summary: Summary): string {
  const verdict = (met: boolean | undefined): string => (met === undefined ? "not checked" : met ? "met" : "NOT met");
  return [
    summary.medianKernelRatio === undefined
      ? "compiled vs kernel JIT: not measured"
      : `compiled vs kernel JIT, median program (${summary.medianKernelProgram}): ${summary.medianKernelRatio.toFixed(2)}x the kernel's time per packet (target <= ${TARGET_KERNEL_RATIO}x: ${verdict(summary.kernelTargetMet)})`,
    `compiled vs reference interpreter, median program (${summary.medianReferenceProgram}): ${summary.medianReferenceSpeedup.toFixed(1)}x faster in execution (target >= ${TARGET_REFERENCE_SPEEDUP}x: ${verdict(summary.referenceTargetMet)})`,
    `per runXdp() call, machine set-up included: median ${summary.medianCallSpeedup.toFixed(1)}x faster`,
  ].join("\n");
}

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly settings: Record<string, unknown>;
  readonly kernel: { readonly available: boolean; readonly reason?: string };
  readonly verifier: { readonly available: boolean; readonly reason?: string };
  readonly programs: readonly ProgramFigures[];
  readonly summary: Summary;
  readonly hwModel: HwModelOutcome;
  readonly notes: readonly string[];
}
