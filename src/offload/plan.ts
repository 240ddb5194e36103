// planOffload: the offload plan of a program for a card and a core count —
// which instructions run where (NIC stages on cores, the host behind PCIe),
// what each stage costs per packet, how the stages are replicated, and the
// predicted throughput and bottleneck. generate: the NIC image of a plan.
import { programInstructionLimit, totalCores, wireBytes } from "../../hw-model/presets/derive.ts";
import { Op, carryLm, carryScratch } from "../../hw-model/isa/opcode.ts";
import type { Preset, MemoryKind } from "../../hw-model/presets/types.ts";
import type { Program } from "../ebpf/index.ts";
import type { MapDef } from "../maps/types.ts";
import { XdpAction } from "../xdp/layout.ts";
import type { VerifierFacts } from "./analysis.ts";
import { findBlockers, type Blocker, type CapabilityReport } from "./capability.ts";
import { compileStages, type CompiledStages } from "./codegen.ts";
import { addCost, blockCost, coreCyclesPerPacket, handoverCost, receiveCost, ZERO_COST, type Cost, type CostContext } from "./cost.ts";
import { OffloadError } from "./errors.ts";
import { staticFrequencies } from "./frequency.ts";
import { frontEnd, type FrontEnd } from "./front-end.ts";
import { hoistHostCuts } from "./host-cuts.ts";
import { reversePostOrder, successors } from "./ir.ts";
import { lowerProgram, type Lowered } from "./lower.ts";
import { mtermSuccessors, type MBlock } from "./micro-ir.ts";
import type { NicImage } from "./nic-image.ts";
import { legalCuts, partition, replicate } from "./partition.ts";
import { placeMaps, type MapPlacement } from "./placement.ts";
import { sourceOf, type OffloadSource } from "./source.ts";
import { execParamsOf } from "../../hw-model/presets/derive.ts";
import { buildTopology } from "../../hw-model/timing/topology.ts";
import { AllocationError } from "./regalloc.ts";
import { placeStack, StackPlacementError, type StackHomes } from "./stack-homes.ts";

// Iterations per entry assumed for an eBPF loop (the compiler's own loops say their count).
export const EBPF_LOOP_TRIPS = 4;
// Frame size the predictions assume when none is given: minimum-size Ethernet frames (the worst case).
export const DEFAULT_PACKET_BYTES = 60;

export interface PlanOptions {
  readonly cores: number;
  // Pipeline stages: a number, or "auto" (as few as the code store allows).
  readonly stages?: number | "auto";
  readonly verifierFacts?: VerifierFacts;
  // Measured instruction hits (per eBPF pc) over `packets` packets; replaces the static block frequencies.
  readonly profile?: { readonly hits: ArrayLike<number>; readonly packets: number };
  // Frame size for the line-rate and PCIe predictions.
  readonly packetBytes?: number;
  // Explicit stage starts (positions in the block layout, 0 first), instead of the partitioner's choice.
  readonly split?: readonly number[];
}

export interface PlanStage {
  readonly index: number;
  readonly name: string;
  // eBPF instructions compiled into the stage, and their smallest and largest pc.
  readonly ebpfPcs: readonly number[];
  readonly ebpfRange: readonly [number, number] | null;
  readonly cores: readonly number[];
  readonly microcodeInstructions: number;
  // The largest state a handover into / out of this stage carries (registers, stack bytes, descriptor).
  readonly handoverInBytes: number;
  readonly handoverOutBytes: number;
  // Share of packets that reach the stage.
  readonly visitsPerPacket: number;
  // Per offered packet: cycles issued, cycles waited, and the core time (issue, or waits over the threads).
  readonly issueCyclesPerPacket: number;
  readonly waitCyclesPerPacket: number;
  readonly cyclesPerPacket: number;
  readonly predictedMpps: number;
}

export interface HostPart {
  readonly exits: readonly { readonly pc: number; readonly resumePc: number; readonly reasons: readonly string[] }[];
  readonly ebpfRange: readonly [number, number] | null;
  readonly visitsPerPacket: number;
  readonly predictedMpps: number;
  readonly description: string;
}

export interface Bound {
  readonly name: string;
  readonly mpps: number;
}

export interface OffloadPlan {
  readonly program: string;
  readonly preset: string;
  readonly cores: number;
  readonly status: "full" | "partial" | "host";
  readonly capability: CapabilityReport;
  readonly stages: readonly PlanStage[];
  readonly host: HostPart | null;
  readonly maps: readonly MapPlacement[];
  readonly localMemoryBytes: number;
  // Bytes of the thread's scratch window holding stack bytes that did not fit local memory (0: none).
  readonly scratchBytes: number;
  // Local memory kept free of stack bytes for register spill slots when the stack had to be split.
  readonly spillReserveBytes: number;
  readonly spilledRegisters: number;
  // Every rate that limits the pipeline, and the smallest.
  readonly bounds: readonly Bound[];
  readonly predicted: { readonly mpps: number; readonly bottleneck: string; readonly packetBytes: number };
  // What generate() needs to rebuild the image: the program, its maps and each IR block's stage (-1: not on the NIC).
  readonly source: OffloadSource;
  readonly mapDefs: readonly MapDef[];
  readonly stageOfIrBlock: readonly number[];
}

interface Built {
  readonly fe: FrontEnd;
  readonly lowered: Lowered;
  readonly compiled: CompiledStages;
  readonly image: NicImage;
}

const built = new WeakMap<OffloadPlan, Built>();

const mhzToPps = (preset: Preset, cyclesPerPacket: number): number => (cyclesPerPacket > 0 ? (preset.clock.coreMhz * 1e6) / cyclesPerPacket : Infinity);

// The odds of a branch edge that leads straight to the packet's end (a verdict or the host) against
// one that goes on: the "return" heuristic of static branch prediction (Ball and Larus, PLDI 1993).
export const EARLY_EXIT_ODDS = 0.25;

// Does control reach the end of the packet's NIC work within a few blocks of straight-line code?
function endsSoon(blocks: readonly MBlock[], start: number): boolean {
  let b = blocks[start];
  for (let hops = 0; hops < 3; hops++) {
    if (b.term.kind === "verdict" || b.term.kind === "toHost") return true;
    if (b.term.kind !== "goto") return false;
    b = blocks[b.term.target];
  }
  return false;
}

// Frequencies of the micro blocks per packet (static, scaled by the profile where given).
function blockFrequencies(fe: FrontEnd, blocks: readonly MBlock[], entry: number, profile: PlanOptions["profile"]): Float64Array {
  const exits = blocks.map((_, i) => endsSoon(blocks, i));
  const freq = staticFrequencies(
    { size: blocks.length, entry, successors: (n) => mtermSuccessors(blocks[n].term) },
    (header) => blocks[header].tripCount ?? EBPF_LOOP_TRIPS,
    (node, succ) => {
      const t = blocks[node].term;
      if (t.kind !== "branch" && t.kind !== "bitbranch") return 1;
      const other = t.target === succ ? t.fallthrough : t.target;
      return exits[succ] && !exits[other] ? EARLY_EXIT_ODDS : 1;
    },
  );
  if (!profile || profile.packets <= 0) return freq;
  // Scale each frame-0 IR block's micro blocks to the measured hits of its first instruction.
  const first = new Map<number, number>();
  blocks.forEach((b, i) => {
    if (b.irBlock >= 0 && !first.has(b.irBlock)) first.set(b.irBlock, i);
  });
  const scale = new Map<number, number>();
  for (const [ir, mb] of first) {
    const block = fe.ir.blocks[ir];
    const pc = block.insns[0]?.origin.pc ?? (block.term.kind !== "goto" ? block.term.origin.pc : block.term.origin?.pc);
    if (block.frame !== 0 || pc === undefined || freq[mb] === 0) continue;
    scale.set(ir, (profile.hits[pc] ?? 0) / profile.packets / freq[mb]);
  }
  return freq.map((f, i) => f * (scale.get(blocks[i].irBlock) ?? 1));
}

function costContext(preset: Preset, maps: readonly MapDef[], placements: readonly MapPlacement[]): CostContext {
  const unit = new Map<number, MemoryKind>(placements.map((p) => [p.map, p.kind]));
  return { preset, maps, unitOfMap: (m) => unit.get(m) ?? "emem" };
}

// Expected accesses per packet of each map the NIC uses (value accesses and firmware calls).
function accessRates(blocks: readonly MBlock[], freq: Float64Array, used: ReadonlySet<number>): Map<number, number> {
  const rates = new Map<number, number>([...used].map((m) => [m, 0]));
  blocks.forEach((b, i) => {
    for (const insn of b.insns) {
      const m = insn.op === Op.FWCALL ? insn.imm : insn.memTarget?.kind === "map" ? insn.memTarget.map : undefined;
      if (m !== undefined && rates.has(m)) rates.set(m, rates.get(m)! + freq[i]);
    }
  });
  return rates;
}

const popcount = (x: number): number => {
  let v = x >>> 0;
  let c = 0;
  while (v) {
    v &= v - 1;
    c++;
  }
  return c;
};

// Bytes a handover carries: live registers, local memory, scratch bytes, and the ring descriptor.
function handoverBytes(preset: Preset, program: { insns: readonly { op: number; imm: number; c: number }[] }): number {
  let most = 0;
  for (const i of program.insns) if (i.op === Op.HANDOVER) most = Math.max(most, 4 * popcount(i.imm) + carryLm(i.c) + carryScratch(i.c) + preset.rings.descriptorBytes);
  return most;
}

// Where the stack lives with `reserveBytes` of local memory kept for register spill slots.
function homesFor(fe: FrontEnd, preset: Preset, reserveBytes: number): StackHomes {
  const p = execParamsOf(preset);
  try {
    return placeStack(fe, p.localMemoryBytesPerThread - reserveBytes, p.scratchBytesPerThread, EBPF_LOOP_TRIPS);
  } catch (e) {
    if (e instanceof StackPlacementError) throw new OffloadError(`${fe.source.name ?? "the program"}: ${e.message}.`);
    throw e;
  }
}

// Lowers and compiles as one stage, growing the local memory kept for spill slots (moving more stack
// bytes to the scratch window) until the register allocator has room.
function lowerWithRoom(fe: FrontEnd, cuts: ReadonlyMap<number, number>, stageOf: ReadonlyMap<number, number>, preset: Preset): { lowered: Lowered; single: CompiledStages; reserveBytes: number } {
  const lmBytes = execParamsOf(preset).localMemoryBytesPerThread;
  for (let reserveBytes = 0; ; reserveBytes = Math.min(lmBytes, Math.max(SPILL_RESERVE_STEP_BYTES, 2 * reserveBytes))) {
    const lowered = lowerProgram(fe, cuts, homesFor(fe, preset, reserveBytes));
    try {
      return { lowered, single: compileStages(fe, lowered, { stageCount: 1, stageOf }, lmBytes), reserveBytes };
    } catch (e) {
      if (!(e instanceof AllocationError) || reserveBytes >= lmBytes) throw e instanceof AllocationError ? new OffloadError(`${fe.source.name ?? "the program"}: ${e.message}.`) : e;
    }
  }
}

// First room kept for spill slots when they do not fit beside the stack (eight 4-byte slots), doubled on each retry.
const SPILL_RESERVE_STEP_BYTES = 32;

function compileFor(fe: FrontEnd, lowered: Lowered, stageOf: ReadonlyMap<number, number>, stageCount: number, preset: Preset): CompiledStages {
  try {
    return compileStages(fe, lowered, { stageCount, stageOf }, execParamsOf(preset).localMemoryBytesPerThread);
  } catch (e) {
    if (e instanceof AllocationError) throw new OffloadError(`${fe.source.name ?? "the program"}: ${e.message}.`);
    throw e;
  }
}

export function planOffload(program: OffloadSource | Program, maps: readonly MapDef[], preset: Preset, options: PlanOptions): OffloadPlan {
  const source = sourceOf(program);
  const coresAvailable = totalCores(preset);
  if (!Number.isInteger(options.cores) || options.cores < 1 || options.cores > coresAvailable) {
    throw new OffloadError(`the core count must be a whole number from 1 to ${coresAvailable} (${preset.name}), not ${options.cores}.`);
  }
  const requested = options.stages ?? "auto";
  if (requested !== "auto" && (!Number.isInteger(requested) || requested < 1 || requested > options.cores)) {
    throw new OffloadError(`the stage count must be "auto" or a whole number from 1 to the ${options.cores} cores, not ${requested}.`);
  }
  const packetBytes = options.packetBytes ?? DEFAULT_PACKET_BYTES;
  const fe = frontEnd(source, maps, options.verifierFacts);
  const blockers = findBlockers(fe, preset);
  const cuts = hoistHostCuts(fe, blockers.cuts);
  const nicBlocks = new Set(lowerProgram(fe, cuts).irEntry.keys());
  const order = reversePostOrder(fe.ir).filter((b) => nicBlocks.has(b));
  const allZero = new Map(order.map((b) => [b, 0]));

  // One stage first: per-block costs and map access rates on the real microcode.
  const { lowered, single, reserveBytes } = lowerWithRoom(fe, cuts, allZero, preset);
  const freq0 = blockFrequencies(fe, single.blocks, single.entries[0], options.profile);
  const used = new Set(blockers.report.maps.filter((m) => m.usedOnNic).map((m) => m.index));
  const placements = placeMaps(maps, accessRates(single.blocks, freq0, used), preset);
  const ctx = costContext(preset, maps, placements);
  const irCost = new Map<number, Cost>();
  const edges = new Map<string, { from: number; to: number; freq: number }>();
  single.blocks.forEach((b, i) => {
    irCost.set(b.irBlock, addCost(irCost.get(b.irBlock) ?? ZERO_COST, blockCost(ctx, b), freq0[i]));
    const succ = mtermSuccessors(b.term);
    for (const s of succ) {
      const to = single.blocks[s].irBlock;
      if (to === b.irBlock) continue;
      const key = `${b.irBlock}>${to}`;
      const e = edges.get(key) ?? { from: b.irBlock, to, freq: 0 };
      e.freq += freq0[i] / succ.length;
      edges.set(key, e);
    }
  });
  const liveBytes = (block: number): number => {
    const live = fe.liveness.liveIn[block];
    let bytes = 8 * live.regs.size;
    for (const m of live.stack) bytes += m.toString(2).replace(/0/g, "").length;
    return bytes;
  };
  const input = { order, cost: irCost, edges: [...edges.values()], liveBytes };
  const limit = programInstructionLimit(preset);

  // The stage count: as asked, or the fewest whose stages all fit the code store.
  let compiled = single;
  let stageOf: ReadonlyMap<number, number> = allZero;
  const fits = (c: CompiledStages): boolean => c.stages.every((s) => s.program.insns.length <= limit);
  if (options.split) {
    const starts = [...new Set([0, ...options.split])].sort((a, b) => a - b);
    const legal = legalCuts(input);
    const bad = starts.find((k) => k < 0 || k >= order.length || !legal[k]);
    if (bad !== undefined) throw new OffloadError(`stage start ${bad} is not a legal cut of ${source.name ?? "the program"} (legal: ${legal.map((ok, k) => (ok && k < order.length ? k : -1)).filter((k) => k >= 0).join(", ")}).`);
    if (starts.length > options.cores) throw new OffloadError(`${starts.length} stages need at least as many cores, not ${options.cores}.`);
    const split = new Map<number, number>();
    order.forEach((b, i) => split.set(b, starts.filter((k) => k <= i).length - 1));
    stageOf = split;
    compiled = compileFor(fe, lowered, split, starts.length, preset);
  } else if (requested !== "auto" || !fits(single)) {
    let want = requested === "auto" ? 2 : requested;
    for (;;) {
      const p = partition(input, want, preset);
      stageOf = p.stageOf;
      compiled = want === 1 ? single : compileFor(fe, lowered, p.stageOf, p.starts.length, preset);
      if (requested !== "auto" || fits(compiled) || want >= Math.min(order.length, options.cores)) break;
      want++;
    }
  }
  const biggest = Math.max(...compiled.stages.map((s) => s.program.insns.length));
  if (biggest > limit) {
    throw new OffloadError(`${source.name ?? "the program"} needs a stage of ${biggest} microcode instructions, more than the ${limit} ${preset.name} runs per core, even split over ${compiled.stages.length} stages.`);
  }

  // Costs on the final code: frequencies across stages, handovers included.
  const freq = blockFrequencies(fe, compiled.blocks, compiled.entries[0], options.profile);
  const stageCount = compiled.stages.length;
  const costs: Cost[] = new Array(stageCount).fill(ZERO_COST);
  costs[0] = receiveCost(preset);
  const visits = new Array<number>(stageCount).fill(0);
  visits[0] = 1;
  const inBytes = new Array<number>(stageCount).fill(0);
  const outBytes = compiled.stages.map((s) => handoverBytes(preset, s.program));
  let hostShare = 0;
  // Packets the program passes up to the host's stack (a constant XDP_PASS verdict).
  let passShare = 0;
  compiled.blocks.forEach((b, i) => {
    const s = compiled.stageOfBlock[i];
    costs[s] = addCost(costs[s], blockCost(ctx, b), freq[i]);
    if (b.term.kind === "handover") {
      const bytes = outBytes[s];
      const h = handoverCost(preset, bytes);
      costs[s] = addCost(costs[s], h.sender, freq[i]);
      costs[b.term.stage] = addCost(costs[b.term.stage], h.receiver, freq[i]);
      visits[b.term.stage] += freq[i];
      inBytes[b.term.stage] = Math.max(inBytes[b.term.stage], bytes);
    }
    if (b.term.kind === "toHost") hostShare += freq[i];
    if (b.term.kind === "verdict" && b.term.reg < 0 && b.term.action === XdpAction.PASS) passShare += freq[i];
  });
  const cyclesPerPacket = costs.map((c) => coreCyclesPerPacket(preset, c));
  const replicas = replicate(cyclesPerPacket, options.cores);
  const coreList: number[][] = [];
  let nextCore = 0;
  for (const r of replicas) {
    coreList.push(Array.from({ length: r }, (_, k) => nextCore + k));
    nextCore += r;
  }
  const pcsOf = (s: number): number[] => {
    const pcs = new Set<number>();
    compiled.stages[s].origins.forEach((o) => {
      if (o) pcs.add(o.pc);
    });
    return [...pcs].sort((a, b) => a - b);
  };
  const stages: PlanStage[] = compiled.stages.map((st, s) => {
    const pcs = pcsOf(s);
    const range: [number, number] | null = pcs.length ? [pcs[0], pcs[pcs.length - 1]] : null;
    return {
      index: s,
      name: range ? `stage ${s} (pc ${range[0]}..${range[1]})` : `stage ${s}`,
      ebpfPcs: pcs,
      ebpfRange: range,
      cores: coreList[s],
      microcodeInstructions: st.program.insns.length,
      handoverInBytes: inBytes[s],
      handoverOutBytes: outBytes[s],
      visitsPerPacket: visits[s],
      issueCyclesPerPacket: costs[s].issueCycles,
      waitCyclesPerPacket: costs[s].waitCycles,
      cyclesPerPacket: cyclesPerPacket[s],
      predictedMpps: (replicas[s] * mhzToPps(preset, cyclesPerPacket[s])) / 1e6,
    };
  });

  const image = imageOf(source, lowered, compiled, placements, preset);
  const host = hostPart(preset, blockers.report.blockers, image, hostShare, packetBytes);
  const bounds: Bound[] = stages.map((s) => ({ name: s.name, mpps: s.predictedMpps }));
  // The host's cores take every packet the NIC part sends up: the host part's and the passed ones.
  const upShare = hostShare + passShare;
  if (upShare > 0) {
    const bytes = packetBytes + preset.pcie.perPacketOverheadBytes;
    bounds.push({ name: host ? "host (host part and XDP_PASS)" : "host (XDP_PASS)", mpps: (preset.host.cores * 1e9) / preset.host.passCostNs / upShare / 1e6 });
    bounds.push({ name: "PCIe to the host", mpps: (preset.pcie.rateGbps * 1e9) / (bytes * 8) / upShare / 1e6 });
  }
  bounds.push({ name: "packet engine", mpps: mhzToPps(preset, preset.packet.distributionCyclesPerPacket) / 1e6 });
  bounds.push({ name: `line rate (${preset.ports.count} x ${preset.ports.rateGbps} Gb/s)`, mpps: (preset.ports.count * preset.ports.rateGbps * 1e9) / (wireBytes(preset, packetBytes) * 8) / 1e6 });
  const bottleneck = bounds.reduce((a, b) => (b.mpps < a.mpps ? b : a));
  const nicEntryCut = cuts.get(0) === 0;
  const plan: OffloadPlan = {
    program: source.name ?? "program",
    preset: preset.name,
    cores: options.cores,
    status: nicEntryCut ? "host" : blockers.report.fullyOffloadable ? "full" : "partial",
    capability: blockers.report,
    stages,
    host,
    maps: placements,
    localMemoryBytes: compiled.localMemoryBytes,
    scratchBytes: compiled.scratchBytes,
    spillReserveBytes: reserveBytes,
    spilledRegisters: compiled.allocation.spilled,
    bounds,
    predicted: { mpps: bottleneck.mpps, bottleneck: bottleneck.name, packetBytes },
    source,
    mapDefs: maps,
    stageOfIrBlock: fe.ir.blocks.map((b) => stageOf.get(b.id) ?? -1),
  };
  built.set(plan, { fe, lowered, compiled, image });
  return plan;
}

function hostPart(preset: Preset, blockers: readonly Blocker[], image: NicImage, share: number, packetBytes: number): HostPart | null {
  if (image.hostExits.length === 0) return null;
  const resumePcs = [...new Set(image.hostExits.map((e) => e.resumePc))].sort((a, b) => a - b);
  const byResume = new Map<number, string[]>();
  for (const b of blockers) {
    // The exit a blocker is behind: its own resume pc, or the nearest earlier one it was moved back to.
    const at = [...resumePcs].reverse().find((pc) => pc <= b.hostResumePc) ?? resumePcs[0];
    const moved = at !== b.hostResumePc ? ` (host work behind the exit at pc ${at})` : "";
    byResume.set(at, [...(byResume.get(at) ?? []), `pc ${b.pc}: ${b.reason.replace(/\.$/, "")}${moved}`]);
  }
  const exits = resumePcs.map((resumePc) => ({ pc: resumePc, resumePc, reasons: byResume.get(resumePc) ?? ["a blocked instruction further on"] }));
  const first = exits[0].resumePc;
  const last = image.source.insns.length - 1;
  const mpps = share > 0 ? (preset.host.cores * 1e9) / preset.host.passCostNs / share / 1e6 : Infinity;
  void packetBytes;
  return {
    exits,
    ebpfRange: [first, last],
    visitsPerPacket: share,
    predictedMpps: mpps,
    description: `packets reaching pc ${exits.map((e) => e.resumePc).join(", ")} go to the host (${(share * 100).toFixed(1)}% expected), which runs the rest of the program`,
  };
}

// The NIC image of a plan: the one planOffload built, or one rebuilt from the plan's data
// (pass the same verifier facts the plan was made with, if any).
export function generate(plan: OffloadPlan, preset: Preset, verifierFacts?: VerifierFacts): NicImage {
  const cached = built.get(plan);
  if (cached && cached.image.preset === preset.name) return cached.image;
  const fe = frontEnd(plan.source, plan.mapDefs, verifierFacts);
  const cuts = hoistHostCuts(fe, findBlockers(fe, preset).cuts);
  const lowered = lowerProgram(fe, cuts, homesFor(fe, preset, plan.spillReserveBytes));
  const stageOf = new Map<number, number>();
  plan.stageOfIrBlock.forEach((s, b) => {
    if (s >= 0) stageOf.set(b, s);
  });
  for (const b of lowered.irEntry.keys()) if (!stageOf.has(b)) throw new OffloadError(`the plan does not say where IR block ${b} runs; plan again with this preset.`);
  const compiled = compileFor(fe, lowered, stageOf, plan.stages.length, preset);
  return imageOf(plan.source, lowered, compiled, plan.maps, preset);
}

function imageOf(source: OffloadSource, lowered: Lowered, compiled: CompiledStages, maps: readonly MapPlacement[], preset: Preset): NicImage {
  return {
    programName: source.name ?? "program",
    preset: preset.name,
    source,
    stages: compiled.stages,
    hostExits: compiled.hostExits,
    maps,
    execParams: execParamsOf(preset),
    pcieTarget: buildTopology(preset).pcieUnit,
    localMemoryBytes: compiled.localMemoryBytes,
    countsRandomDraws: lowered.countsRandomDraws,
    registerHomes: compiled.registerHomes,
  };
}

// The compiler's internals for a plan (for --explain and tests).
export function planInternals(plan: OffloadPlan): Built | undefined {
  return built.get(plan);
}

// The positions (in the block layout) where a stage may start, for a program and its maps
// (with the verifier facts the plan is made with, if any).
export function legalStageStarts(program: OffloadSource | Program, maps: readonly MapDef[], preset: Preset, verifierFacts?: VerifierFacts): number[] {
  const fe = frontEnd(sourceOf(program), maps, verifierFacts);
  const lowered = lowerProgram(fe, hoistHostCuts(fe, findBlockers(fe, preset).cuts));
  const nic = new Set(lowered.irEntry.keys());
  const order = reversePostOrder(fe.ir).filter((b) => nic.has(b));
  const pos = new Map(order.map((b, i) => [b, i]));
  const edges: { from: number; to: number; freq: number }[] = [];
  for (const b of order) for (const s of successors(fe.ir.blocks[b].term)) if (pos.has(s)) edges.push({ from: b, to: s, freq: 1 });
  const legal = legalCuts({ order, cost: new Map(), edges, liveBytes: () => 0 });
  return legal.map((ok, k) => (ok && k > 0 && k < order.length ? k : -1)).filter((k) => k > 0);
}
