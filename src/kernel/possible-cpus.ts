// How many CPUs a per-CPU map holds a value for: the kernel sizes them by
// num_possible_cpus(), which /sys/devices/system/cpu/possible lists as ranges
// ("0-3", "0,2-5"; Documentation/ABI/testing/sysfs-devices-system-cpu).
import { readFileSync } from "node:fs";
import { OffloadSimError } from "../errors.ts";

export const POSSIBLE_CPUS_PATH = "/sys/devices/system/cpu/possible";

// Counts the CPUs in a cpulist such as "0-3,8,10-11".
export function countCpuList(cpuList: string): number {
  const text = cpuList.trim();
  if (text === "") throw new OffloadSimError(`empty CPU list in ${POSSIBLE_CPUS_PATH}.`);
  let count = 0;
  for (const part of text.split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) throw new OffloadSimError(`cannot read CPU range '${part}' in ${POSSIBLE_CPUS_PATH}.`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new OffloadSimError(`CPU range '${part}' in ${POSSIBLE_CPUS_PATH} runs backwards.`);
    count += last - first + 1;
  }
  return count;
}

// The CPUs a cpulist names, in order: "0-2,5" -> [0, 1, 2, 5].
export function cpuListMembers(cpuList: string): number[] {
  countCpuList(cpuList);
  return cpuList
    .trim()
    .split(",")
    .flatMap((part) => {
      const [first, last] = part.split("-").map(Number);
      return Array.from({ length: (last ?? first) - first + 1 }, (_, i) => first + i);
    });
}

export const ONLINE_CPUS_PATH = "/sys/devices/system/cpu/online";

// The CPUs online now (a perf event can be opened only on those).
export function onlineCpus(): number[] {
  return cpuListMembers(readFileSync(ONLINE_CPUS_PATH, "utf8"));
}

let cached: number | undefined;

export function possibleCpuCount(): number {
  cached ??= countCpuList(readFileSync(POSSIBLE_CPUS_PATH, "utf8"));
  return cached;
}
