// The cost model: what one packet costs a core, per block of generated
// microcode, in the preset's terms. Two numbers per block:
//   issueCycles  cycles the core spends issuing the block's instructions
//                (plus the expected taken-branch penalty and the firmware's
//                own instructions inside map routines): the core is busy.
//   waitCycles   cycles the thread sleeps on memory (latency of packet, map,
//                lock and ring accesses); other threads of the core run meanwhile.
// A core with T threads then serves a stage at rate min(1/issue, T/(issue+wait)).
// Latencies and cycle counts all come from the preset (memory units, firmware,
// core); map latencies from where the placement put each map.
import { Op, opInfo } from "../../hw-model/isa/opcode.ts";
import { FwRoutine } from "../../hw-model/isa/fwcall.ts";
import type { Preset, MemoryKind } from "../../hw-model/presets/types.ts";
import { firmwareCyclesPerPacket } from "../../hw-model/presets/derive.ts";
import { layoutKindOf } from "../../hw-model/firmware/map-runtime.ts";
import type { MapDef } from "../maps/types.ts";
import type { MBlock, MInsn } from "./micro-ir.ts";

export interface Cost {
  readonly issueCycles: number;
  readonly waitCycles: number;
}

export const ZERO_COST: Cost = { issueCycles: 0, waitCycles: 0 };
export const addCost = (a: Cost, b: Cost, weight = 1): Cost => ({ issueCycles: a.issueCycles + weight * b.issueCycles, waitCycles: a.waitCycles + weight * b.waitCycles });

// Where the map each routine or value access touches lives.
export interface CostContext {
  readonly preset: Preset;
  readonly maps: readonly MapDef[];
  readonly unitOfMap: (map: number) => MemoryKind;
}

// Read latency of a unit kind; EMEM behind its cache when the data fits the cache.
export function latencyCycles(preset: Preset, unit: MemoryKind, footprintBytes = 0): number {
  if (unit === "emem" && footprintBytes <= preset.memory.emem.cacheBytes) return preset.memory.emem.cacheHitLatencyCycles;
  return preset.memory[unit].latencyCycles;
}

function memCost(ctx: CostContext, i: MInsn): Cost {
  const p = ctx.preset;
  const t = i.memTarget;
  const unit: MemoryKind = t?.kind === "map" ? ctx.unitOfMap(t.map) : t?.kind === "scratch" ? p.memory.threadScratch.unit[0] : "ctm";
  const u = p.memory[unit];
  const transfer = i.c / u.bytesPerCycle;
  const atomic = i.op === Op.MEM_ADD || i.op === Op.MEM_TADD || i.op === Op.MEM_TAS ? u.atomicCyclesPerCommand : 0;
  return { issueCycles: p.core.issueCyclesPerInstruction + p.core.contextSwapCycles, waitCycles: latencyCycles(p, unit) + transfer + atomic };
}

// A firmware routine: its instructions run on the calling thread, its memory commands wait.
function fwCost(ctx: CostContext, i: MInsn): Cost {
  const p = ctx.preset;
  const fw = p.firmware;
  const base = fw.callOverheadCycles;
  switch (i.n) {
    case FwRoutine.MAP_LOOKUP:
    case FwRoutine.MAP_UPDATE:
    case FwRoutine.MAP_DELETE: {
      const def = ctx.maps[i.imm];
      const unit = ctx.unitOfMap(i.imm);
      const lat = latencyCycles(p, unit);
      const keyWords = Math.ceil((def?.keySize ?? 4) / 4);
      const hashed = def ? layoutKindOf(def.type) !== "array" || fw.arraysUseHashTable : true;
      const write = i.n === FwRoutine.MAP_LOOKUP ? 0 : lat;
      if (!hashed) return { issueCycles: base + fw.arrayIndexCycles + keyWords * fw.localKeyCyclesPerWord, waitCycles: write };
      const issue = base + keyWords * (fw.localKeyCyclesPerWord + fw.hashCyclesPerKeyWord + fw.compareCyclesPerKeyWord) + (fw.lockAtomicsPerOperation + 1) * p.core.contextSwapCycles;
      return { issueCycles: issue, waitCycles: fw.lockAtomicsPerOperation * lat + lat + fw.hashEntryBytes / p.memory[unit].bytesPerCycle + write };
    }
    case FwRoutine.RANDOM:
      return { issueCycles: base + fw.randomCycles, waitCycles: 0 };
    case FwRoutine.ADJUST_HEAD:
    case FwRoutine.ADJUST_TAIL:
      return { issueCycles: base + fw.adjustCycles, waitCycles: 0 };
    case FwRoutine.PERF_OUTPUT:
      return { issueCycles: base, waitCycles: Math.round(p.pcie.dmaLatencyNs * (p.clock.coreMhz / 1000)) };
    default:
      return { issueCycles: base, waitCycles: 0 };
  }
}

export function insnCost(ctx: CostContext, i: MInsn): Cost {
  const issue = ctx.preset.core.issueCyclesPerInstruction;
  if (i.op === Op.FWCALL) return fwCost(ctx, i);
  if (opInfo[i.op].format === "mem") return memCost(ctx, i);
  return { issueCycles: issue, waitCycles: 0 };
}

// The block's own cost, branch included (a conditional branch is taken half the time).
export function blockCost(ctx: CostContext, b: MBlock): Cost {
  const core = ctx.preset.core;
  let c: Cost = ZERO_COST;
  for (const i of b.insns) c = addCost(c, insnCost(ctx, i));
  switch (b.term.kind) {
    case "branch":
    case "bitbranch":
      return addCost(c, { issueCycles: core.issueCyclesPerInstruction + core.takenBranchPenaltyCycles / 2, waitCycles: 0 });
    case "goto":
      return addCost(c, { issueCycles: core.issueCyclesPerInstruction / 2 + core.takenBranchPenaltyCycles / 2, waitCycles: 0 });
    default:
      return addCost(c, { issueCycles: core.issueCyclesPerInstruction, waitCycles: 0 });
  }
}

// Moving `bytes` of state between stages through a ring: the put on one side, the get on the other.
export function handoverCost(preset: Preset, bytes: number): { readonly sender: Cost; readonly receiver: Cost } {
  const unit = preset.rings.unit[0] as MemoryKind;
  const u = preset.memory[unit];
  const total = bytes + preset.rings.descriptorBytes;
  const words = Math.ceil(total / 4);
  const side: Cost = { issueCycles: words * preset.core.issueCyclesPerInstruction + preset.core.contextSwapCycles, waitCycles: latencyCycles(preset, unit) + total / u.bytesPerCycle };
  return { sender: side, receiver: side };
}

// What the first stage's core spends on every packet before the program runs: the firmware's
// receive path (hw-model's firmwareCyclesPerPacket, from Krude et al. CoNEXT '21) and the get of
// the packet's descriptor from the ingress ring.
export function receiveCost(preset: Preset): Cost {
  const unit = preset.rings.unit[0] as MemoryKind;
  const u = preset.memory[unit];
  return {
    issueCycles: firmwareCyclesPerPacket(preset) + preset.core.issueCyclesPerInstruction + preset.core.contextSwapCycles,
    waitCycles: latencyCycles(preset, unit) + preset.rings.descriptorBytes / u.bytesPerCycle,
  };
}

// Per-packet core cost of a stage on one core: the issue time, or the thread-limited time when
// the core's threads cannot hide the waits.
export function coreCyclesPerPacket(preset: Preset, c: Cost): number {
  return Math.max(c.issueCycles, (c.issueCycles + c.waitCycles) / preset.topology.threadsPerCore);
}
