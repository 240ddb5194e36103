// The equivalence suite's public API: `offload-sim equiv` for a program of an
// ELF object or for generated programs, the pieces tests reuse (arbitraries,
// comparison, counterexample printing), and the result as text or JSON.
import fc from "fast-check";
import { withKernel } from "../kernel/index.ts";
import { kernelOracleAvailability } from "../kernel/availability.ts";
import { EMPTY_ENVIRONMENT, environmentCommands, type NetworkEnvironment } from "../oracle/environment.ts";
import { currentPidTgid, enterFreshNetworkNamespace } from "../oracle/host-control.ts";
import { testRunRefusal } from "../oracle/kernel-check.ts";
import { selectProgram } from "../oracle/object-setup.ts";
import { EquivInputError } from "./errors.ts";
import { KernelBackedSide } from "./kernel-side.ts";
import type { NicBackend } from "./nic-target.ts";
import { OffloadBackend } from "./offload-backend.ts";
import { DEFAULT_COMPILE_TIMEOUT_MS } from "./compile-guard.ts";
import { generatedSubject } from "./generated-subject.ts";
import { programArbitrary } from "./program-arbitrary.ts";
import { GENERATED_MAPS } from "./program-compile.ts";
import { decodeReplayToken } from "./replay-token.ts";
import { subjectFromObject } from "./subject.ts";
import { capturedFrameCase } from "./case.ts";
import { capturePackets } from "../oracle/packet-sources.ts";
import { DEFAULT_CORES, DEFAULT_RUNS, runSuite, type SuiteResult } from "./suite.ts";
import { formatCounterexample } from "./counterexample.ts";
import type { CaseOutcome } from "./outcome.ts";

export { DEFAULT_CORES, DEFAULT_RUNS, runSuite, type SuiteOptions, type SuiteResult, type Counterexample } from "./suite.ts";
export { formatCounterexample } from "./counterexample.ts";
export { OffloadBackend } from "./offload-backend.ts";
export { subjectFromObject, type EquivSubject } from "./subject.ts";
export { generatedSubject } from "./generated-subject.ts";
export { programArbitrary, programSpecArbitrary } from "./program-arbitrary.ts";
export { EquivInputError, EquivUncheckableError } from "./errors.ts";

export const DEFAULT_PRESET = "nfp-4000";
// Generated programs: several packets per program amortise compiling it.
export const INPUTS_PER_GENERATED_PROGRAM = 4;

export interface EquivRequest {
  // An ELF object, or undefined with `generated` for generated programs.
  readonly objectFile?: string;
  readonly program?: string;
  readonly mapFiles?: readonly { readonly map: string; readonly file: string }[];
  // The network for bpf_fib_lookup and devmaps (and the namespace the kernel side runs in).
  readonly environment?: NetworkEnvironment;
  // The text of --env, for the replay command.
  readonly environmentSpec?: string;
  readonly generated?: boolean;
  // A pcap or pcapng capture whose frames the cases run: each once as captured, first, then drawn variations.
  readonly captureFile?: string;
  readonly runs?: number;
  readonly seed?: number;
  readonly cores?: readonly number[];
  readonly preset?: string;
  readonly kernel?: boolean;
  readonly replay?: string;
  // The side under test (default: src/offload on hw-model for the preset).
  readonly backend?: NicBackend;
  // Shrink the counterexample (default true), for at most this long.
  readonly shrink?: boolean;
  readonly shrinkBudgetMs?: number;
  // Told the seed before the first case runs (so a run that never ends can still be replayed).
  readonly onStart?: (seed: number) => void;
}

export interface EquivReport {
  readonly label: string;
  readonly result: SuiteResult;
  readonly preset: string;
  readonly cores: readonly number[];
  readonly kernel: boolean;
  // The command that replays a counterexample, up to --replay.
  readonly replayPrefix: string;
  // With --kernel: cases the kernel side left out, and why (a program drawing random numbers).
  readonly kernelSkipped?: ReadonlyMap<string, number>;
  // With a capture: its frames, and what turning its packets into XDP frames changed (one sentence each).
  readonly capture?: { readonly file: string; readonly frames: number; readonly notes: readonly string[] };
}

export function freshSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
}

export async function runEquivalence(request: EquivRequest): Promise<EquivReport> {
  const token = request.replay === undefined ? undefined : decodeReplayToken(request.replay);
  const generated = token?.generated ?? request.generated ?? false;
  if (!generated && request.objectFile === undefined) throw new EquivInputError("equiv needs an object file (prog.o), or --generated for generated programs.");
  const preset = token?.preset ?? request.preset ?? DEFAULT_PRESET;
  const cores = token?.cores ?? request.cores ?? DEFAULT_CORES;
  const kernel = token?.kernel ?? request.kernel ?? false;
  const runs = request.runs ?? DEFAULT_RUNS;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new EquivInputError(`--runs takes a whole number of cases from 1 up, not ${runs}.`);
  const backend = request.backend ?? OffloadBackend.forPreset(preset, { compileTimeoutMs: DEFAULT_COMPILE_TIMEOUT_MS });
  if (backend instanceof OffloadBackend) backend.checkCores(cores);
  if (request.captureFile !== undefined && generated) throw new EquivInputError("--pcap gives packets for an object's program, not for --generated programs.");
  const capture = request.captureFile === undefined ? undefined : readCapture(request.captureFile);
  const fromObject = generated ? undefined : subjectFromObject({ objectFile: request.objectFile!, ...(request.program ? { program: request.program } : {}), ...(request.mapFiles ? { mapFiles: request.mapFiles } : {}), ...(request.environment ? { environment: request.environment } : {}) });
  // With --kernel the host sides name the task the kernel's test run runs in, as kernel-check does.
  const subject = fromObject ? { ...fromObject, ...(capture ? { capturedFrames: capture.frames } : {}), ...(kernel ? { currentPidTgid: currentPidTgid() } : {}) } : undefined;
  const refusal = kernel && subject?.object ? testRunRefusal(subject.object, selectProgram(subject.object, subject.programName)) : undefined;
  if (refusal !== undefined) throw new EquivInputError(refusal);
  const subjects = subject ? fc.constant(subject) : programArbitrary().map(generatedSubject);
  const label = subject ? subject.label : "generated programs";
  const seed = token?.seed ?? request.seed ?? freshSeed();
  request.onStart?.(seed);
  const replayPrefix = ["offload-sim equiv", ...(subject ? [request.objectFile!] : []), ...(request.program ? ["--prog", request.program] : []), ...(request.mapFiles ?? []).map((m) => `--map ${m.map}=${m.file}`), ...(request.environmentSpec ? [`--env ${request.environmentSpec}`] : []), ...(request.captureFile ? [`--pcap ${request.captureFile}`] : [])].join(" ");
  const suite = (kernelSide?: KernelBackedSide): SuiteResult =>
    runSuite(subjects, subject ? subject.mapDefs : GENERATED_MAPS, generated, {
      runs: token ? 1 : runs,
      seed,
      cores,
      preset,
      backend,
      ...(kernelSide ? { kernel: kernelSide } : {}),
      ...(token ? { path: token.path } : {}),
      maxInputs: generated ? INPUTS_PER_GENERATED_PROGRAM : 1,
      ...(request.shrink === undefined ? {} : { shrink: request.shrink }),
      ...(request.shrinkBudgetMs === undefined ? {} : { shrinkBudgetMs: request.shrinkBudgetMs }),
      ...(subject?.capturedFrames ? { capturedFrames: subject.capturedFrames.length, examples: subject.capturedFrames.map((_, i) => capturedFrameCase(subject, i)) } : {}),
    });
  let kernelSkipped: ReadonlyMap<string, number> | undefined;
  const sides = async (): Promise<SuiteResult> => {
    if (!kernel) return suite();
    const availability = kernelOracleAvailability();
    if (!availability.available) throw new EquivInputError(`--kernel needs the bpf() syscall, which is not available here: ${availability.reason}.`);
    // A fresh network namespace, holding the environment (or nothing): the kernel's fib lookups and devmaps see only it.
    const namespace = enterFreshNetworkNamespace(environmentCommands(subject?.environment ?? EMPTY_ENVIRONMENT));
    try {
      return await withKernel((k) => {
        const side = new KernelBackedSide(k);
        kernelSkipped = side.skipped;
        return suite(side);
      });
    } finally {
      namespace.leave();
    }
  };
  try {
    const result = await sides();
    return {
      label,
      result,
      preset,
      cores,
      kernel,
      replayPrefix,
      ...(kernelSkipped && kernelSkipped.size > 0 ? { kernelSkipped } : {}),
      ...(capture ? { capture: { file: request.captureFile!, frames: capture.frames.length, notes: capture.notes } } : {}),
    };
  } finally {
    if (backend instanceof OffloadBackend && request.backend === undefined) backend.close();
  }
}

// The frames of a capture as every command sees them (oracle/packet-sources.ts, through traffic/xdp-frames.ts).
function readCapture(file: string): { readonly frames: readonly Uint8Array[]; readonly notes: readonly string[] } {
  const read = capturePackets(file, undefined);
  const notes = [...read.notes, ...(read.tooShort > 0 ? [`${file}: ${read.tooShort} packets shorter than an Ethernet header left out (the kernel's test run refuses them).`] : [])];
  if (read.packets.length === 0) throw new EquivInputError(`${file} holds no packet an XDP program could see.`);
  return { frames: read.packets.map((p) => p.packet), notes };
}

export function formatEquivReport(report: EquivReport): string {
  const r = report.result;
  const sides = `NIC (${report.preset}) vs host interpreter${report.kernel ? " vs kernel" : ""}`;
  if (r.counterexample) return formatCounterexample(r.counterexample, { prefix: report.replayPrefix });
  const refused = [...r.refusals].map(([why, n]) => `  ${n} case${n === 1 ? "" : "s"} not run on the NIC: ${why}`);
  return [
    `${report.label}: ${sides} agree on all ${r.casesRun} cases (seed ${r.seed}, cores ${report.cores.join(",")}).`,
    ...(report.capture ? [captureLine(report.capture.file, report.capture.frames, r.casesRun)] : []),
    ...(r.casesOnNic < r.casesRun ? [`  ${r.casesOnNic} of them ran on the NIC; the plan refused the others:`, ...refused] : []),
    ...[...(report.kernelSkipped ?? [])].map(([why, n]) => `  ${n} case${n === 1 ? "" : "s"} not compared with the kernel: ${why}`),
  ].join("\n") + "\n";
}

function captureLine(file: string, frames: number, cases: number): string {
  const asCaptured = Math.min(frames, cases);
  const drawn = cases - asCaptured;
  return `  packets from ${file}: ${asCaptured} of its ${frames} frames as captured${drawn > 0 ? `, then ${drawn} cases of its frames with drawn map states, clocks and damage` : ""}`;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const outcomeJson = (o: CaseOutcome): Record<string, unknown> => ({
  side: o.side,
  action: o.action ?? null,
  fault: o.fault ?? null,
  packet: hex(o.packet),
  events: o.events,
  redirect: o.redirect ?? null,
  maps: o.maps,
});

export function equivReportJson(report: EquivReport): Record<string, unknown> {
  const r = report.result;
  const cx = r.counterexample;
  const failing = cx?.report.inputs[cx.report.inputs.length - 1];
  return {
    subject: report.label,
    preset: report.preset,
    cores: report.cores,
    kernel: report.kernel,
    seed: r.seed,
    casesRun: r.casesRun,
    casesOnNic: r.casesOnNic,
    refusals: Object.fromEntries(r.refusals),
    kernelSkipped: Object.fromEntries(report.kernelSkipped ?? []),
    capture: report.capture ?? null,
    agreed: r.agreed,
    counterexample:
      cx && failing
        ? {
            differences: failing.differences.map((d) => ({ aspect: d.aspect, text: d.text })),
            plan: { cores: cx.report.variation.cores, cut: cx.report.variation.cut, lines: cx.report.target?.planLines ?? [] },
            packet: hex(failing.prepared.packet),
            host: outcomeJson(failing.host.outcome),
            nic: failing.nic ? outcomeJson(failing.nic.outcome) : null,
            kernel: failing.kernel ? outcomeJson(failing.kernel) : null,
            shrinks: cx.shrinks,
            casesBefore: cx.casesBefore,
            replay: `${report.replayPrefix} --replay ${cx.token}`,
            token: cx.token,
          }
        : null,
  };
}
