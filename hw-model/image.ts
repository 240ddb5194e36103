// What the compiler hands the card: stage programs on sets of cores, and maps
// placed in memory units. Loading checks that it physically fits the preset's
// card (code store, cores, memory) and builds what the executor runs.
import type { BpfMap } from "../src/maps/types.ts";
import { ImageError } from "./errors.ts";
import type { Microprogram } from "./isa/instruction.ts";
import type { ExecImage } from "./exec/executor.ts";
import { MapRuntime } from "./firmware/map-runtime.ts";
import type { Preset } from "./presets/types.ts";
import { programInstructionLimit } from "./presets/derive.ts";
import { buildTopology, type Topology } from "./timing/topology.ts";

export interface StageSpec {
  readonly name?: string;
  readonly program: Microprogram;
  // Global core numbers (island * coresPerIsland + core in island) running this stage.
  readonly cores: readonly number[];
  // Entries of the ring that feeds this stage (default: the preset's; stage 0 is fed by ingress).
  readonly ringCapacity?: number;
}

export interface MapPlacement {
  readonly map: BpfMap;
  // A memory-unit instance of the topology: "emem0", "imem0", "cls2", "ctm0"...
  readonly unit: string;
}

export interface NicImage {
  readonly stages: readonly StageSpec[];
  // Index i is the #i of fwcall instructions.
  readonly maps: readonly MapPlacement[];
}

export interface CodeStoreFit {
  readonly fits: boolean;
  readonly instructions: number;
  readonly limitInstructions: number;
}

// Whether a stage program fits one core's code store (with the firmware's reserve) and the offload limit.
export function codeStoreFit(preset: Preset, program: Microprogram): CodeStoreFit {
  const limitInstructions = programInstructionLimit(preset);
  return { fits: program.insns.length <= limitInstructions, instructions: program.insns.length, limitInstructions };
}

export interface LoadedImage {
  readonly image: NicImage;
  readonly topology: Topology;
  readonly exec: ExecImage;
  readonly maps: readonly MapRuntime[];
}

export function loadImage(preset: Preset, image: NicImage): LoadedImage {
  const topology = buildTopology(preset);
  if (image.stages.length === 0) throw new ImageError("the image has no stages.");
  const owner = new Map<number, number>();
  image.stages.forEach((stage, s) => {
    const fit = codeStoreFit(preset, stage.program);
    if (!fit.fits) {
      throw new ImageError(`stage ${s}${stage.name ? ` (${stage.name})` : ""} has ${fit.instructions} instructions; ${preset.name} takes at most ${fit.limitInstructions} per core.`, { stage: s });
    }
    if (stage.cores.length === 0) throw new ImageError(`stage ${s} has no cores.`, { stage: s });
    for (const core of stage.cores) {
      if (!Number.isInteger(core) || core < 0 || core >= topology.cores) throw new ImageError(`stage ${s} names core ${core}; ${preset.name} has cores 0..${topology.cores - 1}.`, { stage: s });
      const other = owner.get(core);
      if (other !== undefined) throw new ImageError(`core ${core} is given to both stage ${other} and stage ${s}.`, { stage: s });
      owner.set(core, s);
    }
  });
  const fw = preset.firmware;
  const used = new Map<number, number>();
  const maps = image.maps.map((placement, i) => {
    const unit = topology.unitIndex(placement.unit);
    if (unit === undefined || topology.units[unit].kind === "pcie") {
      throw new ImageError(`map #${i} (${placement.map.def.name}) is placed in '${placement.unit}', which ${preset.name} does not have (units: ${topology.units.filter((u) => u.kind !== "pcie").map((u) => u.name).join(", ")}).`, { map: i });
    }
    const runtime = new MapRuntime(placement.map, unit, fw.hashEntriesPerBucket, fw.hashEntryBytes, fw.arraysUseHashTable);
    const total = (used.get(unit) ?? 0) + runtime.footprintBytes();
    const capacity = topology.units[unit].bytes;
    if (total > capacity) throw new ImageError(`map #${i} (${placement.map.def.name}) does not fit in ${placement.unit}: maps there need ${total} bytes of ${capacity}.`, { map: i });
    used.set(unit, total);
    return runtime;
  });
  return { image, topology, maps, exec: { stages: image.stages.map((s) => s.program), maps, pcieTarget: topology.pcieUnit } };
}
