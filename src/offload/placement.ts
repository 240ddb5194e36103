// Where each offloaded map lives: the fastest memory unit with room for it,
// the most often accessed maps first. A map's footprint is what the firmware
// keeps for it (hw-model's MapRuntime: table entries for hashed maps, packed
// values for directly indexed arrays). Cluster memories (CLS, CTM) belong to
// one island and hold packets and rings, so only IMEM and EMEM take maps: IMEM
// for the hottest maps that fit, EMEM behind its cache for the rest.
import type { Preset, MemoryKind } from "../../hw-model/presets/types.ts";
import { mapFootprintBytes } from "../../hw-model/firmware/map-runtime.ts";
import { buildTopology } from "../../hw-model/timing/topology.ts";
import type { MapDef } from "../maps/types.ts";
import { OffloadError } from "./errors.ts";

export interface MapPlacement {
  readonly map: number;
  readonly name: string;
  readonly kind: MemoryKind;
  // The topology's instance name ("imem0", "emem0") and index.
  readonly unit: string;
  readonly target: number;
  readonly footprintBytes: number;
  readonly accessesPerPacket: number;
  readonly reason: string;
}

// The bytes the map occupies when the image is loaded: hw-model's rule, which its MapRuntime follows too.
export function footprintBytes(def: MapDef, preset: Preset): number {
  return mapFootprintBytes(def, preset.firmware);
}

// `used`: map index -> expected accesses per packet (only maps the NIC uses are placed).
export function placeMaps(maps: readonly MapDef[], used: ReadonlyMap<number, number>, preset: Preset): MapPlacement[] {
  const topology = buildTopology(preset);
  const candidates: MemoryKind[] = ["imem", "emem"];
  const free = new Map<string, number>();
  for (const u of topology.units) if (candidates.includes(u.kind as MemoryKind)) free.set(u.name, u.bytes);
  const order = [...used.entries()].sort((a, b) => b[1] - a[1] || footprintBytes(maps[a[0]], preset) - footprintBytes(maps[b[0]], preset));
  const placements: MapPlacement[] = [];
  for (const [index, rate] of order) {
    const def = maps[index];
    const bytes = footprintBytes(def, preset);
    let placed: MapPlacement | undefined;
    for (const kind of candidates) {
      const unit = topology.units.find((u) => u.kind === kind && (free.get(u.name) ?? 0) >= bytes);
      if (!unit) continue;
      free.set(unit.name, free.get(unit.name)! - bytes);
      const reason =
        kind === "imem"
          ? `${bytes} bytes, ${rate.toFixed(2)} accesses per packet: fits internal memory (${preset.memory.imem.latencyCycles}-cycle latency)`
          : `${bytes} bytes, ${rate.toFixed(2)} accesses per packet: external memory (internal memory is taken by hotter maps or too small)`;
      placed = { map: index, name: def.name, kind, unit: unit.name, target: unit.index, footprintBytes: bytes, accessesPerPacket: rate, reason };
      break;
    }
    if (!placed) throw new PlacementError(`map '${def.name}' needs ${bytes} bytes, more than any memory unit of ${preset.name} has left.`);
    placements.push(placed);
  }
  return placements.sort((a, b) => a.map - b.map);
}

export class PlacementError extends OffloadError {}
