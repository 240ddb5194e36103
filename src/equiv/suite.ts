// The equivalence suite: fast-check draws cases (plan variation, initial map
// state, packet) for one program or for generated programs, runs each on the
// host interpreter, the NIC and optionally the kernel, stops at the first
// difference, shrinks it, and runs the shrunk case once more with traces for
// the counterexample. The result says how many cases agreed, and carries the
// replay token of the counterexample.
import fc from "fast-check";
import { caseArbitrary, runCase, TargetCache, type CaseReport, type EquivCase, type KernelSide } from "./case.ts";
import { EquivUncheckableError } from "./errors.ts";
import type { MapDef } from "../maps/index.ts";
import type { NicBackend } from "./nic-target.ts";
import { encodeReplayToken, type ReplayToken } from "./replay-token.ts";
import type { EquivSubject } from "./subject.ts";

export const DEFAULT_RUNS = 1000;
export const DEFAULT_CORES: readonly number[] = [1, 8, 16];
export const DEFAULT_SHRINK_BUDGET_MS = 60_000;

export interface SuiteOptions {
  readonly runs: number;
  readonly seed: number;
  readonly cores: readonly number[];
  readonly preset: string;
  readonly backend: NicBackend;
  readonly kernel?: KernelSide;
  // Replays this counterexample path (from a token) instead of searching.
  readonly path?: string;
  // Inputs per case: 1 for an object's program; several for generated programs, which compile per case.
  readonly maxInputs?: number;
  // Shrink the first difference (default); false reports it as found (the mutation test only needs to know it exists).
  readonly shrink?: boolean;
  // Time shrinking may take before the smallest case found so far is reported.
  readonly shrinkBudgetMs?: number;
  // Frames of a capture (equiv --pcap): drawn inputs take their packets from them.
  readonly capturedFrames?: number;
  // Cases run first, in order, within `runs` (the captured frames as they are); a replay path counts them too.
  readonly examples?: readonly EquivCase[];
}

export interface Counterexample {
  readonly report: CaseReport;
  readonly case: EquivCase;
  readonly token: string;
  readonly shrinks: number;
  // Cases that agreed before this one failed.
  readonly casesBefore: number;
}

export interface SuiteResult {
  readonly seed: number;
  readonly runs: number;
  readonly casesRun: number;
  // Cases that ran on the NIC (the others' plan variation was refused, and ran on the host and kernel only).
  readonly casesOnNic: number;
  readonly refusals: ReadonlyMap<string, number>;
  readonly agreed: boolean;
  readonly counterexample?: Counterexample;
}

export function runSuite(subjects: fc.Arbitrary<EquivSubject>, mapDefs: readonly MapDef[], generated: boolean, options: SuiteOptions): SuiteResult {
  const cache = new TargetCache(options.backend);
  const common = { cores: options.cores, cache, ...(options.kernel ? { kernel: options.kernel } : {}) };
  let casesRun = 0;
  let casesOnNic = 0;
  const refusals = new Map<string, number>();
  // Counted until the first difference (shrinking runs more cases, which are not counted).
  let searching = true;
  let firstDifferenceAt = 0;
  const budgetMs = options.shrinkBudgetMs ?? DEFAULT_SHRINK_BUDGET_MS;
  // Why the host interpreter could not run a case (then the remaining cases pass unrun and the suite has no verdict).
  let uncheckable: string | undefined;
  const property = fc.property(caseArbitrary(subjects, mapDefs, { maxInputs: options.maxInputs ?? 1, ...(options.capturedFrames === undefined ? {} : { capturedFrames: options.capturedFrames }) }), (c) => {
    // Out of shrinking time: every further candidate "passes" unrun, so fast-check keeps the smallest failing case so far.
    if (!searching && Date.now() - firstDifferenceAt > budgetMs) return true;
    if (uncheckable !== undefined) return true;
    const report = runCase(c, common);
    uncheckable = hostCannotRun(report);
    if (uncheckable !== undefined) return true;
    if (searching) {
      casesRun++;
      if (report.refused !== undefined) refusals.set(report.refused, (refusals.get(report.refused) ?? 0) + 1);
      else casesOnNic++;
    }
    if (!report.agreed && searching) {
      searching = false;
      firstDifferenceAt = Date.now();
    }
    return report.agreed;
  });
  const details = fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.shrink === false ? { endOnFailure: true } : {}),
    ...(options.examples === undefined ? {} : { examples: options.examples.map((c): [EquivCase] => [c]) }),
  });
  if (uncheckable !== undefined) {
    throw new EquivUncheckableError(`Cannot check equivalence: the host interpreter, the reference for every side, cannot run this program (${uncheckable}).`);
  }
  const base = { seed: options.seed, runs: options.runs, casesRun, casesOnNic, refusals };
  if (!details.failed || details.counterexample === null) {
    return { ...base, agreed: true };
  }
  const failing = details.counterexample[0];
  const report = runCase(failing, { ...common, trace: true });
  const token: ReplayToken = { seed: details.seed, path: details.counterexamplePath ?? "0", cores: options.cores, preset: options.preset, kernel: options.kernel !== undefined, generated };
  return {
    ...base,
    agreed: false,
    counterexample: { report, case: failing, token: encodeReplayToken(token), shrinks: details.numShrinks, casesBefore: Math.max(0, casesRun - 1) },
  };
}

// A case whose host run stopped at a helper (or kfunc) the simulator does not run: any agreement would be two faults agreeing.
function hostCannotRun(report: CaseReport): string | undefined {
  for (const input of report.inputs) {
    const fault = input.host.result.fault;
    if (fault?.kind === "unknown-helper" || fault?.kind === "kfunc") return fault.message;
  }
  return undefined;
}
