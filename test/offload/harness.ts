// One-program differential harness: compile an eBPF program for the NIC (all
// in one stage, or with the stage split given), run a packet on the host
// interpreter and on the NIC image, and compare.
import type { Program } from "../../src/ebpf/instruction.ts";
import type { MapDef } from "../../src/maps/types.ts";
import { createMap, type SimMap } from "../../src/maps/index.ts";
import { findBlockers } from "../../src/offload/capability.ts";
import { frontEnd } from "../../src/offload/front-end.ts";
import { buildImage } from "../../src/offload/image-builder.ts";
import { lowerProgram } from "../../src/offload/lower.ts";
import type { NicImage } from "../../src/offload/nic-image.ts";
import { compareOne, explainMismatch, preset as loadPreset, type Comparison } from "./corpus.ts";

const nfp = loadPreset();

// Compiles with every IR block in stage 0 (or stageOf(block) when given).
export function compileSingle(program: Program, maps: readonly MapDef[] = [], stageOf?: (irBlock: number) => number, stageCount = 1): NicImage {
  const fe = frontEnd(program, maps);
  const blockers = findBlockers(fe, nfp);
  const lowered = lowerProgram(fe, blockers.cuts);
  const assignment = new Map(fe.ir.blocks.map((b) => [b.id, stageOf ? stageOf(b.id) : 0]));
  const used = new Map(blockers.report.maps.filter((m) => m.usedOnNic).map((m) => [m.index, 1]));
  return buildImage(fe, lowered, { stageCount, stageOf: assignment }, nfp, used);
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
