// One-program differential harness: compile an eBPF program for the NIC (all
// in one stage, or with the stage split given), run a packet on the host
// interpreter and on the NIC image, and compare.
import type { Program } from "../../src/ebpf/instruction.ts";
import type { MapDef } from "../../src/maps/types.ts";
import { createMap, type SimMap } from "../../src/maps/index.ts";
import { generate, planOffload } from "../../src/offload/plan.ts";
import type { NicImage } from "../../src/offload/nic-image.ts";
import { compareOne, explainMismatch, preset as loadPreset, type Comparison } from "./corpus.ts";

const nfp = loadPreset();

// Compiles the way the product does (planOffload, generate), in one stage unless told otherwise.
export function compileSingle(program: Program, maps: readonly MapDef[] = [], stages = 1, cores = stages): NicImage {
  const plan = planOffload(program, maps, nfp, { cores, stages });
  return generate(plan, nfp);
}

export function mapsFor(defs: readonly MapDef[]): SimMap[] {
  return defs.map((d) => createMap(d));
}

// Runs and compares; throws with a readable counterexample when the two differ.
export function expectSame(program: Program, image: NicImage, packet: Uint8Array, maps: readonly SimMap[] = []): Comparison {
  const cmp = compareOne(program, image, maps, packet);
  if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`host and NIC differ\n${explainMismatch(program, image, packet, cmp)}`);
  return cmp;
}
