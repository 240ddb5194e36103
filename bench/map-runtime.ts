// What the NIC model's map runtimes cost one equiv case on an l4_balancer-sized
// object (test/fixtures/realworld3/l4_balancer.c's maps): each case clones the
// maps, makes a MapRuntime per map (NicRunner does, per case), searches the
// firmware table for a packet's keys and brings the layout up to date after a
// host-part packet (syncLayout). Only the runtime work is timed, not the clone.
//
//   node bin/run-ts.js bench/map-runtime.ts [--cases N] [--base DIR]
//
// --base DIR  also times another copy of the tree (DIR/hw-model and DIR/src, e.g. an older commit
//             unpacked with `git archive <commit> hw-model src package.json | tar -x -C DIR` and
//             DIR/node_modules linked to this checkout's) on the same work, case for case alternating
//             with this one, and prints base/current. CPU time of this process (user + system): the
//             machine's 2 CPUs are shared, and the minimum per case is the least disturbed figure.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as currentRuntime from "../hw-model/firmware/map-runtime.ts";
import { loadPreset } from "../hw-model/presets/load.ts";
import * as currentMaps from "../src/maps/index.ts";
import { MapType, type MapDef } from "../src/maps/types.ts";

interface Tree {
  readonly name: string;
  readonly MapRuntime: typeof currentRuntime.MapRuntime;
  readonly createMap: typeof currentMaps.createMap;
  readonly cloneMaps: typeof currentMaps.cloneMaps;
}

const args = process.argv.slice(2);
const option = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const cases = Number(option("--cases") ?? 10);
const baseDir = option("--base");

// l4_balancer.c: RING_SIZE 65,537 x MAX_VIPS 4 ring slots, 512 VIPs, MAX_REALS 1,024 reals, MAX_SERVER_IDS 4,096
// server ids, 4 control words, LRU_ENTRIES 8,192 connections.
const RING_SLOTS = 65_537 * 4;
const defs: MapDef[] = [
  { name: "vip_map", type: MapType.HASH, keySize: 20, valueSize: 8, maxEntries: 512, flags: 0 },
  { name: "ch_rings", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: RING_SLOTS, flags: 0 },
  { name: "reals", type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 1_024, flags: 0 },
  { name: "server_ids", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4_096, flags: 0 },
  { name: "conn_table", type: MapType.LRU_PERCPU_HASH, keySize: 40, valueSize: 16, maxEntries: 8_192, flags: 0 },
  { name: "ctl_array", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
];
// Keys a case's packets search for: a few ring slots and VIPs.
const LOOKUPS_PER_CASE = 32;

const fw = loadPreset("nfp-4000").firmware;

async function treeAt(dir: string, name: string): Promise<Tree> {
  const runtime = (await import(pathToFileURL(resolve(dir, "hw-model/firmware/map-runtime.ts")).href)) as typeof currentRuntime;
  const maps = (await import(pathToFileURL(resolve(dir, "src/maps/index.ts")).href)) as typeof currentMaps;
  return { name, MapRuntime: runtime.MapRuntime, createMap: maps.createMap, cloneMaps: maps.cloneMaps };
}

function u32(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}

// One case: fresh copies of the maps, a runtime each, a packet's table searches, a host-part packet's sync.
function oneCase(tree: Tree, initial: ReturnType<Tree["createMap"]>[]): number {
  const maps = tree.cloneMaps(initial);
  const start = process.cpuUsage();
  const runtimes = maps.map((m) => new tree.MapRuntime(m, 0, fw.hashEntriesPerBucket, fw.hashEntryBytes, fw.arraysUseHashTable));
  let reads = 0;
  for (let i = 0; i < LOOKUPS_PER_CASE; i++) {
    reads += runtimes[1].entriesRead(u32((i * 8_191) % RING_SLOTS));
    const vip = new Uint8Array(20);
    vip[0] = i;
    reads += runtimes[0].entriesRead(vip);
  }
  for (const rt of runtimes) if (rt.hashed) rt.syncLayout();
  const used = process.cpuUsage(start);
  if (reads < LOOKUPS_PER_CASE) throw new Error("a table search read no entry");
  return (used.user + used.system) / 1000;
}

function initialMaps(tree: Tree): ReturnType<Tree["createMap"]>[] {
  const maps = defs.map((d) => tree.createMap(d));
  // 100 VIPs configured, as a --map file would.
  for (let i = 0; i < 100; i++) {
    const key = new Uint8Array(20);
    key[0] = i;
    key[1] = 7;
    maps[0].update(key, new Uint8Array(8), 0, 0);
  }
  return maps;
}

const trees: Tree[] = [{ name: "current", MapRuntime: currentRuntime.MapRuntime, createMap: currentMaps.createMap, cloneMaps: currentMaps.cloneMaps }];
if (baseDir !== undefined) trees.unshift(await treeAt(baseDir, "base"));
const initial = trees.map(initialMaps);
const times = trees.map(() => [] as number[]);
// One warm-up case each, then the timed ones, alternating trees.
trees.forEach((t, i) => oneCase(t, initial[i]));
for (let c = 0; c < cases; c++) trees.forEach((t, i) => times[i].push(oneCase(t, initial[i])));

const min = (xs: number[]): number => Math.min(...xs);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
process.stdout.write(`${cases} cases, maps of l4_balancer (${RING_SLOTS.toLocaleString("en-US")}-slot ring), nfp-4000 table layout; CPU ms per case\n`);
trees.forEach((t, i) => process.stdout.write(`  ${t.name.padEnd(8)} min ${min(times[i]).toFixed(3)} ms   mean ${mean(times[i]).toFixed(3)} ms\n`));
if (trees.length === 2) process.stdout.write(`  base/current: ${(min(times[0]) / min(times[1])).toFixed(1)}x (min), ${(mean(times[0]) / mean(times[1])).toFixed(1)}x (mean)\n`);
