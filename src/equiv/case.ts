// One case of the suite and how it runs: the subject (a program with its
// maps), a plan variation, and inputs (an initial map state, a packet recipe
// and a random seed each). Every input runs on the host interpreter, the NIC
// target and optionally the kernel, each from its own copy of the same
// initial maps; the first input whose outcomes differ ends the case.
import fc from "fast-check";
import type { MapDef, SimMap } from "../maps/index.ts";
import { compareOutcomes, type Difference } from "./compare.ts";
import { runHostSide, type HostRun, type RunEnvironment } from "./host-side.ts";
import { accessedKeys } from "./dry-run.ts";
import { applyMapState, hasHitEdits, mapStateArbitrary, type AppliedState, type MapState } from "./map-state-arbitrary.ts";
import type { Compiled, NicBackend, NicRun, NicTarget, PlanVariation } from "./nic-target.ts";
import type { CaseOutcome } from "./outcome.ts";
import { buildPacket, damageArbitrary, damagedFrame, packetRecipeArbitrary, type Damage, type PacketRecipe } from "./packet-arbitrary.ts";
import { EquivInputError } from "./errors.ts";
import { harvestPool } from "./packet-pool.ts";
import type { EquivSubject } from "./subject.ts";

import { LOOPBACK_RX_QUEUE } from "../xdp/index.ts";

// Where an input's packet comes from: a recipe, or (equiv --pcap) a frame of the capture, possibly damaged.
export type PacketSource =
  | { readonly kind: "generated"; readonly recipe: PacketRecipe }
  | { readonly kind: "captured"; readonly index: number; readonly damage: Damage };

export interface CaseInput {
  readonly state: MapState;
  readonly packet: PacketSource;
  readonly randomSeed: number;
  // CLOCK_MONOTONIC when the packet runs.
  readonly nowNs: bigint;
}

// Clock readings programs compare against: boot, one second, a day, and values near the top.
const NOW_EDGES = [0n, 1_000_000_000n, 86_400_000_000_000n, (1n << 63n) - 1n, (1n << 64n) - 1n];

export interface PlanPick {
  readonly coreIndex: number;
  readonly cut: number;
}

export interface EquivCase {
  readonly subject: EquivSubject;
  readonly plan: PlanPick;
  readonly inputs: readonly CaseInput[];
}

// The kernel side, when asked for: the same program, maps (replayed writes) and packet through
// BPF_PROG_TEST_RUN, compared with the host's outcome (it may need host runs of its own: the clock).
export interface KernelSide {
  check(subject: EquivSubject, packet: Uint8Array, applied: AppliedState, env: RunEnvironment, host: CaseOutcome): { readonly outcome?: CaseOutcome; readonly differences: readonly Difference[] };
}

export interface CaseArbitraryOptions {
  // Inputs per case (several amortise compiling a generated program).
  readonly maxInputs: number;
  // Frames of a capture (equiv --pcap): every input's packet is one of them, possibly damaged, instead of a recipe's.
  readonly capturedFrames?: number;
}

// `mapDefs`: the maps every subject has (one object's program, or the generated programs' fixed set), so the
// map states do not depend on the drawn subject and each part of a case shrinks on its own.
export function caseArbitrary(subjects: fc.Arbitrary<EquivSubject>, mapDefs: readonly MapDef[], options: CaseArbitraryOptions): fc.Arbitrary<EquivCase> {
  const frames = options.capturedFrames ?? 0;
  const packet: fc.Arbitrary<PacketSource> =
    frames > 0
      ? fc.record({ kind: fc.constant("captured" as const), index: fc.nat({ max: frames - 1 }), damage: damageArbitrary })
      : packetRecipeArbitrary.map((recipe) => ({ kind: "generated" as const, recipe }));
  const input = fc.record({ state: mapStateArbitrary(mapDefs), packet, randomSeed: fc.nat(), nowNs: fc.oneof(fc.constantFrom(...NOW_EDGES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })) });
  return fc.record({
    subject: subjects,
    plan: fc.record({ coreIndex: fc.nat(), cut: fc.nat() }),
    inputs: fc.array(input, { minLength: 1, maxLength: options.maxInputs }),
  });
}

// One input made concrete: the maps it starts from, and the packet built against their contents.
export interface PreparedInput {
  readonly applied: AppliedState;
  readonly packet: Uint8Array;
  readonly env: RunEnvironment;
}

export function prepareInput(subject: EquivSubject, input: CaseInput): PreparedInput {
  const env = environmentOf(input);
  const first = applyMapState(subject.baseMaps, subject.baseWrites, input.state);
  const packet = input.packet.kind === "generated" ? buildPacket(input.packet.recipe, harvestPool(first.maps)) : capturedPacket(subject, input.packet.index, input.packet.damage);
  // "hit" edits need the keys the program uses on this packet: a dry run on the state without them finds them.
  const applied = hasHitEdits(input.state) ? applyMapState(subject.baseMaps, subject.baseWrites, input.state, accessedKeys(subject, packet, first.maps, env)) : first;
  return { applied, packet, env };
}

function capturedPacket(subject: EquivSubject, index: number, damage: Damage): Uint8Array {
  const frame = subject.capturedFrames?.[index];
  if (frame === undefined) throw new EquivInputError(`${subject.label}: the case names captured frame ${index}, and the capture given has ${subject.capturedFrames?.length ?? 0}.`);
  return damagedFrame(frame, damage);
}

// The case that runs captured frame `index` as it is: the initial maps unedited, no random draws, the clock at one second.
export function capturedFrameCase(subject: EquivSubject, index: number): EquivCase {
  const input: CaseInput = { state: subject.mapDefs.map(() => []), packet: { kind: "captured", index, damage: { kind: "none" } }, randomSeed: 0, nowNs: NOW_EDGES[1] };
  // Successive frames walk through the core counts and stage cuts (both are taken modulo what exists).
  return { subject, plan: { coreIndex: index, cut: index }, inputs: [input] };
}

function environmentOf(input: CaseInput): RunEnvironment {
  return { randomSeed: input.randomSeed, ingressIfindex: LOOPBACK_RX_QUEUE.ingressIfindex, clock: { startNs: input.nowNs, nsPerInstruction: 0n, bootOffsetNs: 0n } };
}

export interface InputReport {
  readonly input: CaseInput;
  readonly prepared: PreparedInput;
  readonly host: HostRun;
  readonly nic?: NicRun;
  readonly kernel?: CaseOutcome;
  readonly differences: readonly Difference[];
}

export interface CaseReport {
  readonly variation: PlanVariation;
  readonly target?: NicTarget;
  // Why the planner would not compile this variation (then nothing ran on the NIC).
  readonly refused?: string;
  // The compiler's internal error on this variation.
  readonly failed?: string;
  // The inputs run, the last one being the first that differed (if any did).
  readonly inputs: readonly InputReport[];
  readonly agreed: boolean;
}

export class TargetCache {
  private readonly targets = new WeakMap<EquivSubject, Map<string, Compiled>>();
  private readonly cuts = new WeakMap<EquivSubject, Map<number, number>>();
  constructor(private readonly backend: NicBackend) {}

  variation(subject: EquivSubject, cores: number, cut: number): PlanVariation {
    const counts = this.cuts.get(subject) ?? new Map<number, number>();
    this.cuts.set(subject, counts);
    let count = counts.get(cores);
    if (count === undefined) {
      count = Math.max(1, this.backend.cutCount(subject, cores));
      counts.set(cores, count);
    }
    return { cores, cut: cut % count };
  }

  compile(subject: EquivSubject, variation: PlanVariation): Compiled {
    const compiled = this.targets.get(subject) ?? new Map<string, Compiled>();
    this.targets.set(subject, compiled);
    const key = `${variation.cores}|${variation.cut}`;
    let c = compiled.get(key);
    if (c === undefined) {
      c = this.backend.compile(subject, variation);
      compiled.set(key, c);
    }
    return c;
  }
}

export interface RunCaseOptions {
  readonly cores: readonly number[];
  readonly cache: TargetCache;
  readonly kernel?: KernelSide;
  readonly trace?: boolean;
}

export function runCase(c: EquivCase, options: RunCaseOptions): CaseReport {
  const cores = options.cores[c.plan.coreIndex % options.cores.length];
  const variation = options.cache.variation(c.subject, cores, c.plan.cut);
  const compiled = options.cache.compile(c.subject, variation);
  const inputs: InputReport[] = [];
  for (const input of c.inputs) {
    const prepared = prepareInput(c.subject, input);
    const host = runHostSide(c.subject, prepared.packet, prepared.applied.maps, prepared.env);
    let nic: NicRun | undefined;
    const differences: Difference[] = [];
    if (compiled.kind === "target") {
      nic = runNicSafely(compiled.target, prepared.packet, prepared.applied.maps, prepared.env, options.trace ?? false);
      differences.push(...compareOutcomes(host.outcome, nic.outcome));
    } else if (compiled.kind === "failed") {
      differences.push({ side: "nic", aspect: "action", where: "compile", text: `the offload compiler failed on this plan: ${compiled.error}` });
    }
    let kernel: CaseOutcome | undefined;
    if (options.kernel) {
      const checked = options.kernel.check(c.subject, prepared.packet, prepared.applied, prepared.env, host.outcome);
      kernel = checked.outcome;
      differences.push(...checked.differences);
    }
    inputs.push({ input, prepared, host, ...(nic ? { nic } : {}), ...(kernel ? { kernel } : {}), differences });
    if (differences.length > 0) break;
  }
  const agreed = inputs.every((i) => i.differences.length === 0);
  const outcome = compiled.kind === "target" ? { target: compiled.target } : compiled.kind === "refused" ? { refused: compiled.reason } : { failed: compiled.error };
  return { variation, ...outcome, inputs, agreed };
}

// A NIC side that throws has not produced an outcome: that is a difference too, not a crash of the suite.
function runNicSafely(target: NicTarget, packet: Uint8Array, maps: readonly SimMap[], env: RunEnvironment, trace: boolean): NicRun {
  try {
    return target.run(packet, maps, env, trace);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: { side: "nic", action: undefined, fault: `the NIC side threw: ${message}`, packet: new Uint8Array(0), maps: [], events: [] } };
  }
}
