import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { MapType } from "../maps/types.ts";

// libbpf gives a perf event array declared without max_entries one slot per
// possible CPU (map_set_def_max_entries), counting them from this file as
// libbpf_num_possible_cpus does; a machine without it falls back to the CPUs
// Node sees.
const POSSIBLE_CPUS_FILE = "/sys/devices/system/cpu/possible";

let cached: number | undefined;

// "0-7", "0,2-3": the number of CPUs a cpulist names.
export function countCpuList(text: string): number | undefined {
  let count = 0;
  for (const part of text.trim().split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    count += last - first + 1;
  }
  return count > 0 ? count : undefined;
}

export function possibleCpuCount(): number {
  if (cached !== undefined) return cached;
  let fromFile: number | undefined;
  try {
    fromFile = countCpuList(readFileSync(POSSIBLE_CPUS_FILE, "utf8"));
  } catch {
    fromFile = undefined;
  }
  cached = fromFile ?? availableParallelism();
  return cached;
}

// max_entries as libbpf creates the map.
export const perfArrayEntries = (type: number, maxEntries: number): number =>
  type === MapType.PERF_EVENT_ARRAY && maxEntries === 0 ? possibleCpuCount() : maxEntries;
