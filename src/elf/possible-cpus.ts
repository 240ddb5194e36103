import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { MapType } from "../maps/types.ts";
import { countCpuList, POSSIBLE_CPUS_PATH } from "../kernel/possible-cpus.ts";

// libbpf gives a perf event array declared without max_entries one slot per
// possible CPU (map_set_def_max_entries), counting them from this file as
// libbpf_num_possible_cpus does; a machine without it falls back to the CPUs
// Node sees.

let cached: number | undefined;

export function possibleCpuCount(): number {
  if (cached !== undefined) return cached;
  let fromFile: number | undefined;
  try {
    fromFile = countCpuList(readFileSync(POSSIBLE_CPUS_PATH, "utf8"));
  } catch {
    // Missing or malformed: fall back below (the kernel session, which needs the true count, reads it strictly).
    fromFile = undefined;
  }
  cached = fromFile ?? availableParallelism();
  return cached;
}

// max_entries as libbpf creates the map.
export const perfArrayEntries = (type: number, maxEntries: number): number =>
  type === MapType.PERF_EVENT_ARRAY && maxEntries === 0 ? possibleCpuCount() : maxEntries;
