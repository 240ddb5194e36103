// A dry run of a case's packet on the host interpreter that notes, per map,
// the keys the program looked up, updated or deleted, in order: the keys a
// "hit" edit of the map state inserts, so the real run finds them.
import type { BpfMap, SimMap } from "../maps/index.ts";
import { cloneMaps } from "../maps/index.ts";
import { seededRandom } from "../helpers/runtime.ts";
import { runXdp } from "../xdp/index.ts";
import type { RunEnvironment } from "./host-side.ts";
import type { EquivSubject } from "./subject.ts";

// A view of `map` that records the keys of program-side accesses (the run is thrown away afterwards).
function recording(map: BpfMap, keys: Uint8Array[]): BpfMap {
  const view = Object.create(map) as BpfMap & Record<string, unknown>;
  view.lookup = (key: Uint8Array, cpu: number) => (keys.push(key.slice()), map.lookup(key, cpu));
  view.update = (key: Uint8Array, value: Uint8Array, flags: number, cpu: number) => (keys.push(key.slice()), map.update(key, value, flags, cpu));
  view.delete = (key: Uint8Array) => (keys.push(key.slice()), map.delete(key));
  return view;
}

export function accessedKeys(subject: EquivSubject, packet: Uint8Array, maps: readonly SimMap[], env: RunEnvironment): Uint8Array[][] {
  const keys: Uint8Array[][] = maps.map(() => []);
  const views = cloneMaps(maps).map((m, i) => recording(m, keys[i]));
  runXdp(subject.insns, packet, views, {
    programs: subject.tailCalls,
    random: seededRandom(env.randomSeed),
    clock: env.clock,
    ...(subject.routes ? { routes: subject.routes } : {}),
    ...(subject.currentPidTgid === undefined ? {} : { currentPidTgid: subject.currentPidTgid }),
    rx: { ingressIfindex: env.ingressIfindex, rxQueueIndex: 0, egressIfindex: 0 },
  });
  return keys;
}
