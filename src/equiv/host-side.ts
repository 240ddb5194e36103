// The reference side of a case: the host interpreter (src/interp through
// runXdp) on its own copy of the case's initial maps, in the environment the
// NIC sees too (the same ingress port and the same random stream).
import type { TraceStep } from "../interp/index.ts";
import type { HelperTable } from "../helpers/index.ts";
import { seededRandom, type SimClock } from "../helpers/runtime.ts";
import { cloneMaps, type SimMap } from "../maps/index.ts";
import { runXdp, type XdpRunResult } from "../xdp/index.ts";
import { outcomeOfRun, type CaseOutcome } from "./outcome.ts";
import type { EquivSubject } from "./subject.ts";

// What a case runs in besides the packet and the maps.
export interface RunEnvironment {
  // Seed of bpf_get_prandom_u32's stream (the NIC's executor draws the same xorshift32 stream from it).
  readonly randomSeed: number;
  readonly ingressIfindex: number;
  // bpf_ktime_get_ns and friends: a clock that stands still for the packet, so where a part runs cannot change what it reads.
  readonly clock: SimClock;
}

export interface HostRun {
  readonly outcome: CaseOutcome;
  readonly result: XdpRunResult;
}

// `helpers`: the interpreter's helper table, when not src/helpers' own (e.g. one that notes calls).
export function runHostSide(subject: EquivSubject, packet: Uint8Array, initialMaps: readonly SimMap[], env: RunEnvironment, onStep?: (step: TraceStep) => void, helpers?: HelperTable): HostRun {
  const maps = cloneMaps(initialMaps);
  const result = runXdp(subject.insns, packet, maps, {
    ...(helpers ? { helpers } : {}),
    programs: subject.tailCalls,
    random: seededRandom(env.randomSeed),
    clock: env.clock,
    ...(subject.routes ? { routes: subject.routes } : {}),
    ...(subject.currentPidTgid === undefined ? {} : { currentPidTgid: subject.currentPidTgid }),
    rx: { ingressIfindex: env.ingressIfindex, rxQueueIndex: 0, egressIfindex: 0 },
    ...(onStep ? { onStep } : {}),
  });
  return { outcome: outcomeOfRun("host", result, result.fault?.message, maps), result };
}
