// The card's parts as instances: memory units (one CLS and CTM per island,
// the IMEM and EMEM units, the PCIe DMA engine) and cores with their islands.
// Work traces name memory units by their index here.
import type { Preset, MemoryKind } from "../presets/types.ts";
import { cyclesPerNs } from "../presets/derive.ts";

export type UnitKind = MemoryKind | "pcie";

export interface UnitInstance {
  readonly index: number;
  readonly name: string;
  readonly kind: UnitKind;
  // Island of a CLS/CTM; -1 for chip-wide units.
  readonly island: number;
  readonly bytes: number;
  readonly latencyCycles: number;
  readonly cyclesPerCommand: number;
  readonly bytesPerCycle: number;
  readonly atomicCyclesPerCommand: number;
  readonly hasAtomicEngine: boolean;
  // EMEM only: latency of a cache hit and the cache size; others: equal to latencyCycles and 0.
  readonly cacheHitLatencyCycles: number;
  readonly cacheBytes: number;
}

export interface Topology {
  readonly units: readonly UnitInstance[];
  readonly cores: number;
  readonly coresPerIsland: number;
  readonly threadsPerCore: number;
  readonly pcieUnit: number;
  unitIndex(name: string): number | undefined;
  islandOfCore(core: number): number;
  // The instance of `kind` an island uses (its own CLS/CTM; the first IMEM/EMEM).
  unitFor(kind: MemoryKind, island: number): number;
}

export function buildTopology(p: Preset): Topology {
  const units: UnitInstance[] = [];
  const add = (name: string, kind: UnitKind, island: number, params: Omit<UnitInstance, "index" | "name" | "kind" | "island">): void => {
    units.push({ index: units.length, name, kind, island, ...params });
  };
  const plain = (kind: MemoryKind) => {
    const m = p.memory[kind];
    return {
      bytes: m.bytes,
      latencyCycles: m.latencyCycles,
      cyclesPerCommand: m.cyclesPerCommand,
      bytesPerCycle: m.bytesPerCycle,
      atomicCyclesPerCommand: m.atomicCyclesPerCommand,
      hasAtomicEngine: m.hasAtomicEngine,
      cacheHitLatencyCycles: m.latencyCycles,
      cacheBytes: 0,
    };
  };
  for (let i = 0; i < p.topology.islands; i++) {
    for (let k = 0; k < p.memory.cls.instances; k++) add(`cls${i}${k ? `.${k}` : ""}`, "cls", i, plain("cls"));
    for (let k = 0; k < p.memory.ctm.instances; k++) add(`ctm${i}${k ? `.${k}` : ""}`, "ctm", i, plain("ctm"));
  }
  for (let k = 0; k < p.memory.imem.instances; k++) add(`imem${k}`, "imem", -1, plain("imem"));
  for (let k = 0; k < p.memory.emem.instances; k++) {
    add(`emem${k}`, "emem", -1, { ...plain("emem"), cacheHitLatencyCycles: p.memory.emem.cacheHitLatencyCycles, cacheBytes: p.memory.emem.cacheBytes });
  }
  const pcieBytesPerCycle = p.pcie.rateGbps / 8 / cyclesPerNs(p);
  const pcieLatency = Math.round(p.pcie.dmaLatencyNs * cyclesPerNs(p));
  add("pcie", "pcie", -1, {
    bytes: 0,
    latencyCycles: pcieLatency,
    cyclesPerCommand: 0,
    bytesPerCycle: pcieBytesPerCycle,
    atomicCyclesPerCommand: 0,
    hasAtomicEngine: false,
    cacheHitLatencyCycles: pcieLatency,
    cacheBytes: 0,
  });
  const byName = new Map(units.map((u) => [u.name, u.index]));
  const coresPerIsland = p.topology.coresPerIsland;
  return {
    units,
    cores: p.topology.islands * coresPerIsland,
    coresPerIsland,
    threadsPerCore: p.topology.threadsPerCore,
    pcieUnit: byName.get("pcie")!,
    unitIndex: (name) => byName.get(name),
    islandOfCore: (core) => Math.floor(core / coresPerIsland),
    unitFor: (kind, island) => {
      const own = units.find((u) => u.kind === kind && (u.island === island || u.island === -1));
      return (own ?? units.find((u) => u.kind === kind)!).index;
    },
  };
}
