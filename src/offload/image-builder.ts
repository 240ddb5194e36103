// Lowering plus stage compilation plus map placement: a front end, its
// blocked points and a stage assignment in, a NicImage out.
import { execParamsOf } from "../../hw-model/presets/derive.ts";
import { buildTopology } from "../../hw-model/timing/topology.ts";
import type { Preset } from "../../hw-model/presets/types.ts";
import { compileStages, type StageAssignment } from "./codegen.ts";
import { OffloadError } from "./errors.ts";
import type { FrontEnd } from "./front-end.ts";
import { lowerProgram, type Lowered } from "./lower.ts";
import type { NicImage } from "./nic-image.ts";
import { placeMaps } from "./placement.ts";
import { AllocationError } from "./regalloc.ts";

export function buildImage(fe: FrontEnd, lowered: Lowered, assignment: StageAssignment, preset: Preset, mapAccessRates: ReadonlyMap<number, number>): NicImage {
  const params = execParamsOf(preset);
  let compiled;
  try {
    compiled = compileStages(fe, lowered, assignment, params.localMemoryBytesPerThread);
  } catch (e) {
    if (e instanceof AllocationError) throw new OffloadError(`${fe.source.name ?? "the program"}: ${e.message}.`);
    throw e;
  }
  const topology = buildTopology(preset);
  return {
    programName: fe.source.name ?? "program",
    preset: preset.name,
    source: fe.source,
    stages: compiled.stages,
    hostExits: compiled.hostExits,
    maps: placeMaps(fe.maps, mapAccessRates, preset),
    execParams: params,
    pcieTarget: topology.pcieUnit,
    localMemoryBytes: compiled.localMemoryBytes,
  };
}

export { lowerProgram };
