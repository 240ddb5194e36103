// `offload-sim kernel-check`: one XDP program, the same initial maps and the
// same packets through the real kernel (BPF_PROG_TEST_RUN) and through our
// interpreter, compared packet by packet: the action, the output frame
// (bytes and length, after head/tail adjustment), the metadata, and every
// map's contents after the packet. It stops at the first difference and
// keeps what is needed to show it.
//
// The kernel's answers are made reproducible before anything runs: the
// thread is pinned to one CPU and moved into a fresh network namespace
// built from the environment description (host-control.ts); clock and
// random helpers are bracketed (nondeterminism.ts).
import type { BpfObject, BpfProgram } from "../elf/bpf-object.ts";
import type { ExternName, TraceStep } from "../interp/env.ts";
import { HelperId, helperImplementations, type HelperTable, type RouteTable } from "../helpers/index.ts";
import type { Program } from "../ebpf/instruction.ts";
import { Class, JmpOp, PseudoCall } from "../ebpf/opcode.ts";
import { seededRandom } from "../helpers/runtime.ts";
import type { KernelSession } from "../kernel/index.ts";
import { cloneMaps, UpdateFlag, type SimMap } from "../maps/index.ts";
import { runXdp, type XdpRunResult } from "../xdp/index.ts";
import { mapsRunMayWrite } from "../offload/written-maps.ts";
import { dryRunView } from "./dry-run-map.ts";
import { environmentCommands, environmentRouteTable, EMPTY_ENVIRONMENT, type NetworkEnvironment } from "./environment.ts";
import { bootOffsetNs as measuredBootOffsetNs, currentPidTgid, enterFreshNetworkNamespace, pinToCpu, taiOffsetNs as measuredTaiOffsetNs } from "./host-control.ts";
import { KernelSide } from "./kernel-side.ts";
import { compareSnapshots, differingBytes, isPerCpuMapType, maskKey, wordMask, NO_MASK, type EntryDifference, type MapMask, type Snapshot } from "./map-snapshot.ts";
import { frozenClock, NONDETERMINISTIC_HELPERS, noCalls, recordingHelpers, type NondeterministicCalls } from "./nondeterminism.ts";
import { createObjectMaps, loadMapContent, loadMapFileContent, ObjectSetupError, selectXdpProgram, tailCallPrograms, type ObjectMaps } from "./object-setup.ts";
import type { TestPacket } from "./packet-generator.ts";
import { noTouches, trackingView, TrackedMaps, type Touches } from "./tracked-maps.ts";

export type MapSource =
  | { readonly map: string; readonly file: string }
  | { readonly map: string; readonly json: unknown; readonly source: string };

export interface KernelCheckRequest {
  readonly object: BpfObject;
  readonly program?: string;
  // Initial contents, loaded in order into both sides.
  readonly maps?: readonly MapSource[];
  readonly packets: Iterable<TestPacket>;
  readonly environment?: NetworkEnvironment;
  // The CPU to pin to (default: the first one the process may use).
  readonly cpu?: number;
  // Instructions of the interpreter's trace kept for a mismatch report.
  readonly traceSteps?: number;
  // Called after every packet that agreed.
  readonly onPacket?: (index: number) => void;
  // The interpreter's helper implementations (default: src/helpers'), e.g. to check the harness with a broken one.
  readonly helpers?: HelperTable;
}

// What one side made of one packet.
export interface SideOutcome {
  readonly action: number | undefined;
  readonly packet: Uint8Array;
  readonly metadata: Uint8Array;
  // The interpreter's fault, when the run ended in one.
  readonly fault?: string;
}

export interface Mismatch {
  // The packet's position in the stream; -1 for the maps before any packet.
  readonly index: number;
  readonly packet: TestPacket | undefined;
  readonly kernel: SideOutcome | undefined;
  readonly interpreter: SideOutcome | undefined;
  readonly action: boolean;
  readonly packetBytes: boolean;
  readonly metadata: boolean;
  readonly maps: readonly EntryDifference[];
  readonly trace: readonly TraceStep[];
  // Instructions the interpreter executed (the trace keeps the last traceSteps of them).
  readonly steps: number;
  readonly note?: string;
}

export interface CheckSettings {
  readonly program: string;
  // Every test run and every per-CPU comparison is on this CPU.
  readonly cpu: number;
  readonly comparedMaps: readonly string[];
  readonly notComparedMaps: readonly string[];
  // The program (or a program it can tail-call) calls a clock or random helper.
  readonly nondeterministic: boolean;
}

export type KernelCheckReport =
  | { readonly kind: "rejected"; readonly program: string; readonly errno: string; readonly message: string; readonly verifierLog: string }
  | ({ readonly kind: "agree"; readonly packets: number; readonly actions: Readonly<Record<string, number>>; readonly bracketed: number; readonly excludedRandom: number } & CheckSettings)
  | ({ readonly kind: "mismatch"; readonly packets: number; readonly mismatch: Mismatch } & CheckSettings);

const DEFAULT_TRACE_STEPS = 200;
// Two seeds for the random streams of the two bracketing runs.
const RANDOM_SEEDS = [0x2545f491, 0x9e3779b9] as const;

export async function kernelCheck(k: KernelSession, request: KernelCheckRequest): Promise<KernelCheckReport> {
  const environment = request.environment ?? EMPTY_ENVIRONMENT;
  const pin = pinToCpu(request.cpu);
  try {
    const namespace = enterFreshNetworkNamespace(environmentCommands(environment));
    try {
      return runCheck(k, request, environment, pin.cpu);
    } finally {
      namespace.leave();
    }
  } finally {
    pin.restore();
  }
}

function loadSources(setup: ObjectMaps, sources: readonly MapSource[]): ObjectMaps {
  let result = setup;
  for (const source of sources) result = "file" in source ? loadMapFileContent(result, source.map, source.file) : loadMapContent(result, source.map, source.json, source.source);
  return result;
}

// Whether any program of the object calls a clock or random helper (conservative: tail calls may reach any of them).
function usesNondeterministicHelpers(object: BpfObject): boolean {
  const call = Class.JMP | JmpOp.CALL;
  return object.programs.some((p) => p.insns.some((insn) => insn.opcode === call && insn.src === PseudoCall.HELPER && NONDETERMINISTIC_HELPERS.has(insn.imm)));
}

// Why the kernel's test run cannot run the program (one sentence), or undefined when it can:
// net/bpf/test_run.c bpf_prog_test_run_xdp refuses programs loaded for a devmap or cpumap entry (EINVAL).
export function testRunRefusal(object: BpfObject, program: BpfProgram): string | undefined {
  const attach = program.expectedAttachType;
  if (attach !== "xdp_devmap" && attach !== "xdp_cpumap") return undefined;
  return `${object.fileName}: program ${program.name} is loaded for a ${attach === "xdp_devmap" ? "devmap" : "cpumap"} entry (section ${program.section}), and the kernel's BPF_PROG_TEST_RUN does not run such programs, so there is nothing to compare with.`;
}

function runCheck(k: KernelSession, request: KernelCheckRequest, environment: NetworkEnvironment, cpu: number): KernelCheckReport {
  const { object } = request;
  const program = selectXdpProgram(object, request.program);
  const refusal = testRunRefusal(object, program);
  if (refusal !== undefined) throw new ObjectSetupError(refusal);
  const setup = loadSources(createObjectMaps(object, k.cpuCount), request.maps ?? []);
  const load = KernelSide.load(k, setup.object, program.name, setup.writes);
  if (load.kind === "rejected") {
    return { kind: "rejected", program: program.name, errno: load.error.errnoName, message: load.error.message, verifierLog: load.error.verifierLog ?? "" };
  }
  const kernel = load.side;
  const mayChange = mapsRunMayWrite(object.programs.map((p) => p.insns), object.programs.indexOf(program), object.maps);
  kernel.readOnlyExcept(mayChange);
  const sim = new TrackedMaps([...setup.maps]);
  const routes = environmentRouteTable(environment);
  const programs = tailCallPrograms(object);
  const traceSteps = request.traceSteps ?? DEFAULT_TRACE_STEPS;
  const helpers = request.helpers ?? helperImplementations;
  const nondeterministic = usesNondeterministicHelpers(object);
  const bootOffsetNs = measuredBootOffsetNs();
  const taiOffsetNs = measuredTaiOffsetNs();
  const task = currentPidTgid();
  const first = kernel.snapshot();
  const settings: CheckSettings = {
    program: program.name,
    cpu,
    comparedMaps: first.snapshot.map((s) => s.map.name),
    notComparedMaps: object.maps.filter((_, i) => !first.snapshot.some((s) => s.index === i)).map((def) => def.name),
    nondeterministic,
  };
  const initial = compareSnapshots(first.snapshot, sim.snapshot());
  if (initial.length > 0) {
    const note = "the maps differ before the first packet: loading the same contents gave different maps";
    const mismatch: Mismatch = { index: -1, packet: undefined, kernel: undefined, interpreter: undefined, action: false, packetBytes: false, metadata: false, maps: initial, trace: [], steps: 0, note };
    return { kind: "mismatch", packets: 0, mismatch, ...settings };
  }

  const actions: Record<string, number> = {};
  let count = 0;
  let bracketed = 0;
  let excludedRandom = 0;
  for (const testPacket of request.packets) {
    const index = count++;
    const run = kernel.run(testPacket.packet);
    const kernelOutcome: SideOutcome = { action: run.result.retval, packet: run.result.packet, metadata: run.result.metadata };
    const kernelMaps = kernel.snapshot();

    // A dry run tells, without touching the maps, whether this packet reaches a clock or random helper.
    const dryCalls = noCalls();
    if (nondeterministic) {
      runXdp(program.insns, testPacket.packet, sim.maps.map(dryRunView), { programs, externs: program.externs, routes, cpu, currentPidTgid: task, helpers: recordingHelpers(helpers, dryCalls), clock: frozenClock(run.startNs, bootOffsetNs, taiOffsetNs) });
    }
    const candidates: Candidate[] = [];
    if (dryCalls.time || dryCalls.random) {
      bracketed++;
      const copy = cloneMaps(sim.maps);
      candidates.push(interpret(program.insns, testPacket.packet, copy, { programs, externs: program.externs, routes, cpu, helpers, clockNs: run.startNs, bootOffsetNs, taiOffsetNs, task, seed: RANDOM_SEEDS[0], traceSteps }));
      candidates.push(interpret(program.insns, testPacket.packet, [...sim.maps], { programs, externs: program.externs, routes, cpu, helpers, clockNs: run.endNs, bootOffsetNs, taiOffsetNs, task, seed: RANDOM_SEEDS[1], traceSteps }));
    } else {
      candidates.push(interpret(program.insns, testPacket.packet, [...sim.maps], { programs, externs: program.externs, routes, cpu, helpers, clockNs: run.startNs, bootOffsetNs, taiOffsetNs, task, seed: RANDOM_SEEDS[0], traceSteps }));
    }
    const verdict = judge(kernelOutcome, kernelMaps, candidates, sim, mayChange);
    if (verdict.kind === "mismatch") {
      const chosen = candidates[0];
      const mismatch: Mismatch = {
        index,
        packet: testPacket,
        kernel: kernelOutcome,
        interpreter: chosen.outcome,
        action: kernelOutcome.action !== chosen.outcome.action,
        packetBytes: Buffer.compare(kernelOutcome.packet, chosen.outcome.packet) !== 0,
        metadata: Buffer.compare(kernelOutcome.metadata, chosen.outcome.metadata) !== 0,
        maps: verdict.maps,
        trace: chosen.trace,
        steps: chosen.result.steps,
        ...(candidates.length > 1 ? { note: "the program read the clock or random numbers: the interpreter ran at the times just before and after the kernel's run, and neither agrees" } : {}),
      };
      return { kind: "mismatch", packets: index, mismatch, ...settings };
    }
    if (verdict.kind === "random") excludedRandom++;
    if (candidates.length > 1) sim.adopt(verdict.chosen.maps, verdict.chosen.touches);
    // Bytes that depend on the clock or random numbers take the kernel's value on both sides.
    if (verdict.reconcile.length > 0) {
      const written = noTouches(object.maps.length);
      for (const difference of verdict.reconcile) {
        const mapIndex = object.maps.findIndex((def) => def.name === difference.map);
        kernel.setEntry(mapIndex, difference.key, difference.kernel);
        setSimEntry(sim.maps[mapIndex], difference.key, difference.kernel, cpu);
        written[mapIndex].keys.add(difference.key);
      }
      sim.refresh(written);
      kernel.snapshot();
    }
    const name = kernelOutcome.action === undefined ? "fault" : String(kernelOutcome.action);
    actions[name] = (actions[name] ?? 0) + 1;
    request.onPacket?.(index);
  }
  return { kind: "agree", packets: count, actions, bracketed, excludedRandom, ...settings };
}

interface Candidate {
  readonly maps: SimMap[];
  readonly touches: Touches[];
  readonly result: XdpRunResult;
  readonly outcome: SideOutcome;
  readonly calls: NondeterministicCalls;
  readonly trace: TraceStep[];
  readonly snapshot: () => Snapshot;
}

interface InterpretOptions {
  // kfunc calls by pc, so the interpreter runs the ones it implements.
  readonly externs: readonly ExternName[];
  readonly programs: ReadonlyMap<number, Program>;
  readonly routes: RouteTable;
  readonly cpu: number;
  readonly helpers: HelperTable;
  readonly clockNs: bigint;
  readonly bootOffsetNs: bigint;
  readonly taiOffsetNs: bigint;
  // bpf_get_current_pid_tgid's answer.
  readonly task: bigint;
  readonly seed: number;
  readonly traceSteps: number;
}

function interpret(insns: Program, packet: Uint8Array, maps: SimMap[], options: InterpretOptions): Candidate {
  const touches = noTouches(maps.length);
  const calls = noCalls();
  const trace: TraceStep[] = [];
  const result = runXdp(insns, packet, maps.map((map, i) => trackingView(map, touches[i])), {
    programs: options.programs,
    externs: options.externs,
    routes: options.routes,
    cpu: options.cpu,
    currentPidTgid: options.task,
    clock: frozenClock(options.clockNs, options.bootOffsetNs, options.taiOffsetNs),
    random: seededRandom(options.seed),
    helpers: recordingHelpers(options.helpers, calls, options.seed),
    onStep: (step) => {
      trace.push(step);
      if (trace.length > options.traceSteps) trace.shift();
    },
  });
  const outcome: SideOutcome = {
    action: result.action,
    packet: result.packetOut,
    metadata: result.metadataOut,
    ...(result.fault === undefined ? {} : { fault: result.fault.message }),
  };
  let cached: Snapshot | undefined;
  const snapshot = (): Snapshot => {
    if (cached === undefined) {
      cached = new TrackedMaps(maps).snapshot();
    }
    return cached;
  };
  return { maps, touches, result, outcome, calls, trace, snapshot };
}

type Verdict =
  | { readonly kind: "agree" | "random"; readonly chosen: Candidate; readonly reconcile: readonly EntryDifference[] }
  | { readonly kind: "mismatch"; readonly maps: readonly EntryDifference[] };

// Does the kernel's outcome match a candidate run? With one candidate: exactly. With two (the
// bracketing runs): one of them, except in the bytes where the two differ.
// `mayChange`: the maps the program can change (undefined: any); a lookup in one it cannot change changes nothing.
function judge(kernel: SideOutcome, kernelMaps: { snapshot: Snapshot; changed: ReadonlySet<number> }, candidates: readonly Candidate[], sim: TrackedMaps, mayChange: ReadonlySet<number> | undefined): Verdict {
  if (candidates.length === 1) {
    const [only] = candidates;
    sim.adopt(only.maps, only.touches);
    // Maps neither side changed were equal after the previous packet and still are.
    const changed = new Set(kernelMaps.changed);
    only.touches.forEach((t, i) => (t.all || t.keys.size > 0) && (mayChange === undefined || mayChange.has(i)) && changed.add(i));
    const maps = compareSnapshots(kernelMaps.snapshot, sim.snapshot(), NO_MASK, changed);
    const same = sameOutcome(kernel, only.outcome, undefined) && maps.length === 0;
    return same ? { kind: "agree", chosen: only, reconcile: [] } : { kind: "mismatch", maps };
  }
  const [a, b] = candidates;
  const mask = differingBytes(a.snapshot(), b.snapshot());
  const packetMask = differingPacketBytes(a.outcome.packet, b.outcome.packet);
  for (const candidate of [a, b]) {
    const maps = compareSnapshots(kernelMaps.snapshot, candidate.snapshot(), mask);
    if (maps.length === 0 && sameOutcome(kernel, candidate.outcome, packetMask)) {
      return { kind: "agree", chosen: candidate, reconcile: maskedDifferences(kernelMaps.snapshot, candidate.snapshot(), mask) };
    }
  }
  // The kernel drew other random numbers than either run: this packet cannot be compared; both sides continue from the kernel's maps.
  if (a.calls.random || b.calls.random) return { kind: "random", chosen: a, reconcile: compareSnapshots(kernelMaps.snapshot, a.snapshot()) };
  return { kind: "mismatch", maps: compareSnapshots(kernelMaps.snapshot, a.snapshot(), mask) };
}

function sameOutcome(x: SideOutcome, y: SideOutcome, packetMask: Uint8Array | undefined): boolean {
  if (x.action !== y.action || x.packet.length !== y.packet.length || Buffer.compare(x.metadata, y.metadata) !== 0) return false;
  for (let i = 0; i < x.packet.length; i++) if (x.packet[i] !== y.packet[i] && !(packetMask !== undefined && packetMask[i] !== 0)) return false;
  return true;
}

function differingPacketBytes(a: Uint8Array, b: Uint8Array): Uint8Array | undefined {
  return a.length === b.length ? wordMask(a, b) : undefined;
}

// The entries where the kernel and the chosen run differ only in masked bytes or keys.
function maskedDifferences(kernel: Snapshot, candidate: Snapshot, mask: MapMask): EntryDifference[] {
  const all = compareSnapshots(kernel, candidate);
  return all.filter((d) => mask.anyKeys.has(maskKey(d.map, d.key)) || mask.bytes.has(maskKey(d.map, d.key)));
}

function setSimEntry(map: SimMap, key: string, values: readonly Uint8Array[] | undefined, cpu: number): void {
  const keyBytes = Uint8Array.from(Buffer.from(key, "hex"));
  if (values === undefined) {
    map.sysDelete(keyBytes);
    return;
  }
  const stride = isPerCpuMapType(map.def.type) ? Math.ceil(map.def.valueSize / 8) * 8 : map.def.valueSize;
  const raw = new Uint8Array(stride * values.length);
  values.forEach((value, cpu) => raw.set(value, cpu * stride));
  map.sysUpdate(keyBytes, raw, UpdateFlag.ANY, cpu);
}
