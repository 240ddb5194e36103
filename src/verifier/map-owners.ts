// The load-time check after verification that ties programs sharing a map of
// programs (kernel/bpf/core.c bpf_check_tail_call and __bpf_prog_map_compatible,
// Linux 6.18): a prog array, devmap or cpumap records as its owner the first
// program loaded that uses it (or the first program stored in it), and every
// later program using it must match the owner's program type, JIT state and
// xdp_has_frags (BPF_F_XDP_HAS_FRAGS, an `xdp.frags` section), and for a prog
// array also its expected attach type. A mismatch fails BPF_PROG_LOAD with
// EINVAL after the verifier accepted the program (the log names no reason);
// storing a mismatched program in a prog array fails bpf_map_update_elem
// with EINVAL (kernel/bpf/arraymap.c prog_fd_array_get_ptr).
//
// The owners depend on which programs load and in which order, so this
// follows libbpf's bpf_object__load: the chosen programs in object order, then
// the prog-array slots the object itself fills (`.values = { ... }`).
// Every program here is XDP and JIT-compiled alike, so type and JIT always match.
import { classify } from "../ebpf/describe.ts";
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import { MapType } from "../maps/types.ts";
import type { VerifierResult } from "./verify.ts";

// The owner fields an XDP program can differ in.
interface Owner {
  readonly program: string;
  readonly xdpFrags: boolean;
  readonly expectedAttachType: string;
}

export interface MapOwnerConflict {
  // The program whose load (or whose storing into a slot) fails.
  readonly program: string;
  readonly mapName: string;
  readonly ownerProgram: string;
  // One sentence for the user: what differs and how the kernel fails.
  readonly message: string;
}

// include/linux/bpf.h map_type_contains_progs.
const containsPrograms = (mapType: number): boolean =>
  mapType === MapType.PROG_ARRAY || mapType === MapType.DEVMAP || mapType === MapType.DEVMAP_HASH || mapType === MapType.CPUMAP;

const attachOf = (p: BpfProgram): string => p.expectedAttachType ?? "xdp";
const ownerOf = (p: BpfProgram): Owner => ({ program: p.name, xdpFrags: p.xdpFrags, expectedAttachType: attachOf(p) });
const fragsText = (frags: boolean): string => (frags ? "frags-aware (xdp.frags)" : "not frags-aware");

// The maps a program references, in the order the kernel records them (resolve_pseudo_ldimm64: first reference first).
export function usedMaps(program: BpfProgram): number[] {
  const used: number[] = [];
  const insns = program.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    const form = classify(insns[pc], insns[pc + 1]);
    if (typeof form === "string" || form.kind !== "lddw") continue;
    pc++;
    if (form.pseudo === "imm64" || form.pseudo === "func" || form.pseudo === "btfId") continue;
    if (!used.includes(form.imm)) used.push(form.imm);
  }
  return used;
}

// What differs between the map's owner and a program, or undefined when they are compatible.
function mismatch(owner: Owner, p: BpfProgram, mapType: number): string | undefined {
  if (owner.xdpFrags !== p.xdpFrags) return `${p.name} is ${fragsText(p.xdpFrags)} and its owner ${owner.program} is ${fragsText(owner.xdpFrags)}`;
  if (mapType === MapType.PROG_ARRAY && owner.expectedAttachType !== attachOf(p)) {
    return `${p.name} has expected attach type ${attachOf(p)} and its owner ${owner.program} ${owner.expectedAttachType}`;
  }
  return undefined;
}

// Loads `chosen` (names of the object's programs, each verified) as libbpf would and returns every
// failure; libbpf stops at the first, the later ones are what loading without it would meet.
export function mapOwnerConflicts(object: BpfObject, chosen: readonly string[]): MapOwnerConflict[] {
  const conflicts: MapOwnerConflict[] = [];
  const owners = new Map<number, Owner>();
  const loading = object.programs.filter((p) => chosen.includes(p.name));
  for (const p of loading) {
    for (const mapIndex of usedMaps(p)) {
      const map = object.maps[mapIndex];
      if (map === undefined || !containsPrograms(map.type)) continue;
      const owner = owners.get(mapIndex);
      // The first user becomes the owner, even if a later map then fails this program's load.
      if (owner === undefined) {
        owners.set(mapIndex, ownerOf(p));
        continue;
      }
      const why = mismatch(owner, p, map.type);
      if (why !== undefined) {
        conflicts.push({ program: p.name, mapName: map.name, ownerProgram: owner.program, message: `BPF_PROG_LOAD of ${p.name} fails with EINVAL after verification (bpf_check_tail_call): it uses ${map.name}, whose owner is the first program loaded with it, and ${why}` });
        break;
      }
    }
  }
  const failed = new Set(conflicts.map((c) => c.program));
  for (const slot of object.initialSlots ?? []) {
    if (slot.target.kind !== "program") continue;
    const targetName = slot.target.name;
    const target = loading.find((p) => p.name === targetName && !failed.has(p.name));
    const map = object.maps[slot.mapIndex];
    if (target === undefined || map === undefined) continue;
    const owner = owners.get(slot.mapIndex);
    if (owner === undefined) {
      owners.set(slot.mapIndex, ownerOf(target));
      continue;
    }
    const why = mismatch(owner, target, map.type);
    if (why !== undefined) {
      conflicts.push({ program: target.name, mapName: map.name, ownerProgram: owner.program, message: `storing ${target.name} in ${map.name}[${slot.slot}] fails with EINVAL (prog_fd_array_get_ptr): ${why}` });
    }
  }
  return conflicts;
}

// What fails the load of `program` when `selection` (programs the verifier accepted) is loaded: with
// one program, it and its slot companions load and any failure is the load's (as libbpf fails the
// object); with several, as `bpftool prog loadall`, the failures that are the program's own.
export function loadConflictFor(object: BpfObject, program: string, selection: readonly string[]): MapOwnerConflict | undefined {
  if (selection.length === 1) return mapOwnerConflicts(object, slotCompanions(object, program))[0];
  return mapOwnerConflicts(object, selection).find((c) => c.program === program);
}

// A result the verifier accepted, turned into the load's rejection (no instruction: pc -1).
export function rejectedAtLoad(result: VerifierResult, conflict: MapOwnerConflict): VerifierResult {
  return { ...result, accepted: false, error: { pc: -1, message: conflict.message, lines: [conflict.message], errno: "EINVAL", kernelText: "", llvmText: "" } };
}

// The programs libbpf must load with `program` so that the object's own prog-array slots can be filled
// (their targets), as `bpftool prog load` of one program with its tail-call targets would.
export function slotCompanions(object: BpfObject, program: string): string[] {
  const targets = (object.initialSlots ?? []).flatMap((s) => (s.target.kind === "program" ? [s.target.name] : []));
  return [...new Set([program, ...targets])];
}
