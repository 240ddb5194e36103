// Every side of a case runs with a reader on the program's perf event arrays,
// as a user collecting its events would have: the host interpreter and the
// NIC model run as CPU 0, so slot 0 holds an open perf event (the kernel side
// opens real ones on every CPU, kernel-events.ts). Without it every
// bpf_perf_event_output would fail with ENOENT and no event could be compared.
import { MapType, UpdateFlag, type SimMap } from "../maps/index.ts";

// What the simulated slot holds: a perf event's number (any non-empty value; src/maps/perf-event-array.ts).
const SIMULATED_PERF_EVENT = 1;
// The CPU the host interpreter and the NIC model report as the current one.
export const HOST_CPU = 0;

const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

// The maps with CPU 0's slot of each perf event array filled (in place; returns them).
export function attachPerfReaders<T extends readonly SimMap[]>(maps: T): T {
  for (const map of maps) {
    if (map.def.type !== MapType.PERF_EVENT_ARRAY || map.def.maxEntries <= HOST_CPU) continue;
    map.sysUpdate(u32(HOST_CPU), u32(SIMULATED_PERF_EVENT), UpdateFlag.ANY);
  }
  return maps;
}
