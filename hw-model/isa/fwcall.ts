// The firmware routines a `fwcall` can reach, with their operands. As in the
// Linux nfp BPF JIT, BPF helpers are not inlined: the program calls routines
// that the NIC firmware provides (map lookup/update/delete walk the map's
// buckets in NIC memory). Their function and cost live in hw-model/firmware/.
//
// Operands: `d` receives the result; `#map` is an index into the image's map
// table; the arguments are registers in fields a, b, c, x in this order.

export const FwRoutine = {
  MAP_LOOKUP: 0,
  MAP_UPDATE: 1,
  MAP_DELETE: 2,
  RANDOM: 3,
  ADJUST_HEAD: 4,
  ADJUST_TAIL: 5,
  PERF_OUTPUT: 6,
} as const;
export type FwRoutineId = (typeof FwRoutine)[keyof typeof FwRoutine];

export interface FwRoutineSignature {
  readonly id: FwRoutineId;
  readonly name: string;
  readonly usesMap: boolean;
  // Names of the register arguments, in operand order (fields a, b, c, x).
  readonly args: readonly string[];
  // What `d` receives.
  readonly result: "pointer" | "errno" | "value";
  // The BPF helper this routine implements.
  readonly helper: string;
}

export const fwRoutines: readonly FwRoutineSignature[] = [
  { id: FwRoutine.MAP_LOOKUP, name: "map_lookup", usesMap: true, args: ["key"], result: "pointer", helper: "bpf_map_lookup_elem" },
  { id: FwRoutine.MAP_UPDATE, name: "map_update", usesMap: true, args: ["key", "value", "flags"], result: "errno", helper: "bpf_map_update_elem" },
  { id: FwRoutine.MAP_DELETE, name: "map_delete", usesMap: true, args: ["key"], result: "errno", helper: "bpf_map_delete_elem" },
  { id: FwRoutine.RANDOM, name: "random", usesMap: false, args: [], result: "value", helper: "bpf_get_prandom_u32" },
  { id: FwRoutine.ADJUST_HEAD, name: "adjust_head", usesMap: false, args: ["delta"], result: "errno", helper: "bpf_xdp_adjust_head" },
  { id: FwRoutine.ADJUST_TAIL, name: "adjust_tail", usesMap: false, args: ["delta"], result: "errno", helper: "bpf_xdp_adjust_tail" },
  {
    id: FwRoutine.PERF_OUTPUT,
    name: "perf_output",
    usesMap: true,
    args: ["flags_lo", "flags_hi", "data", "size"],
    result: "errno",
    helper: "bpf_perf_event_output",
  },
];

export const fwRoutineByName: ReadonlyMap<string, FwRoutineSignature> = new Map(fwRoutines.map((r) => [r.name, r]));
