// The sample programs (programs/*.o) with their crafted-packet cases
// (programs/expectations.json), made runnable on the host: a fresh set of
// simulated maps per run holding the load-time contents (prog_array slots,
// global data) and the case's entries, the programs a tail call can reach,
// and, for cases that name a network environment, its route table. Used by
// the compiled tier's differential tests and by the benchmark.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Program } from "../src/ebpf/instruction.ts";
import { loadObject, type BpfObject } from "../src/elf/index.ts";
import { parseRouteTable, type RouteTable } from "../src/helpers/fib.ts";
import { createMap, loadMapJson, MapType, type SimMap } from "../src/maps/index.ts";

export const programsDir = fileURLToPath(new URL("../programs/", import.meta.url));

interface EntryJson {
  readonly key: string;
  readonly value?: string;
  readonly valueMask?: string;
  readonly program?: string;
}
interface MapContentJson {
  readonly entries: readonly EntryJson[];
}
interface CaseJson {
  readonly name: string;
  readonly packet: string;
  readonly maps?: Readonly<Record<string, MapContentJson>>;
  readonly environment?: string;
  readonly ktimeNsAtLeast?: number | string;
  readonly expected: { readonly action: string; readonly retval: number; readonly packetOut: string; readonly maps?: Readonly<Record<string, MapContentJson>> };
}
interface ProgramJson {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: Readonly<Record<string, MapContentJson>>;
  readonly cases: readonly CaseJson[];
}
interface EnvironmentJson {
  readonly links: readonly { readonly ifindex: number; readonly mac: string; readonly addresses: readonly string[] }[];
  readonly routes: readonly { readonly dst: string; readonly type: string }[];
  readonly neighbours: readonly { readonly dst: string; readonly mac: string }[];
}
interface ExpectationsJson {
  readonly environments: Readonly<Record<string, EnvironmentJson>>;
  readonly programs: readonly ProgramJson[];
}

export interface CorpusCase {
  readonly name: string;
  readonly packet: Uint8Array;
  readonly retval: number;
  readonly packetOut: Uint8Array;
  // The case needs a host set-up (routes, neighbours) or a clock value to give its expected result.
  readonly environment?: string;
  readonly ktimeNsAtLeast?: bigint;
  readonly mapJson: Readonly<Record<string, MapContentJson>>;
}

export interface CorpusProgram {
  // "xdp_firewall", or "xdp_tailcall:xdp_dispatch" when an object holds several.
  readonly label: string;
  readonly objectFile: string;
  readonly object: BpfObject;
  readonly name: string;
  readonly insns: Program;
  readonly cases: readonly CorpusCase[];
  // Tail-call targets by the id a prog_array slot holds (the program's index in the object).
  readonly programs: ReadonlyMap<number, Program>;
  readonly loadTimeMaps: Readonly<Record<string, MapContentJson>>;
}

export const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
export const bytesHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const expectations = (): ExpectationsJson => JSON.parse(readFileSync(`${programsDir}expectations.json`, "utf8")) as ExpectationsJson;

export function loadCorpus(): CorpusProgram[] {
  const all = expectations();
  const objects = new Map<string, BpfObject>();
  const objectOf = (file: string): BpfObject => {
    let object = objects.get(file);
    if (object === undefined) {
      object = loadObject(readFileSync(`${programsDir}../${file}`), file);
      objects.set(file, object);
    }
    return object;
  };
  const perObject = new Map<string, number>();
  for (const p of all.programs) perObject.set(p.object, (perObject.get(p.object) ?? 0) + 1);
  return all.programs.map((p): CorpusProgram => {
    const object = objectOf(p.object);
    const program = object.programs.find((q) => q.name === p.program);
    if (program === undefined) throw new Error(`${p.object} has no program ${p.program}`);
    const base = p.object.replace(/^programs\//, "").replace(/\.o$/, "");
    return {
      label: (perObject.get(p.object) ?? 0) > 1 ? `${base}:${p.program}` : p.program,
      objectFile: p.object,
      object,
      name: p.program,
      insns: program.insns,
      programs: new Map(object.programs.map((q, index) => [index, q.insns])),
      loadTimeMaps: p.loadTimeMaps ?? {},
      cases: p.cases.map((c) => ({
        name: c.name,
        packet: hexBytes(c.packet),
        retval: c.expected.retval,
        packetOut: hexBytes(c.expected.packetOut),
        ...(c.environment === undefined ? {} : { environment: c.environment }),
        ...(c.ktimeNsAtLeast === undefined ? {} : { ktimeNsAtLeast: BigInt(c.ktimeNsAtLeast) }),
        mapJson: c.maps ?? {},
      })),
    };
  });
}

// The object's maps as loading leaves them, plus `content` (a case's entries), all fresh.
export function corpusMaps(program: CorpusProgram, content: Readonly<Record<string, MapContentJson>> = {}): SimMap[] {
  const maps = program.object.maps.map((def) => createMap(def));
  const fill = (contents: Readonly<Record<string, MapContentJson>>): void => {
    for (const [name, json] of Object.entries(contents)) {
      const index = program.object.maps.findIndex((def) => def.name === name);
      if (index < 0) throw new Error(`${program.objectFile} has no map ${name}`);
      const map = maps[index];
      const entries = json.entries.map((entry) => {
        if (map.def.type !== MapType.PROG_ARRAY || entry.program === undefined) return { key: entry.key, value: entry.value };
        const id = program.object.programs.findIndex((q) => q.name === entry.program);
        return { key: entry.key, value: { u32: id } };
      });
      loadMapJson(map, { entries }, `${program.objectFile} ${name}`);
    }
  };
  // Global data already holds its initial bytes (createMap); of the load-time contents only prog_array slots remain to fill.
  const slots = Object.fromEntries(
    Object.entries(program.loadTimeMaps).map(([name, json]) => [name, { entries: json.entries.filter((entry) => entry.program !== undefined) }]),
  );
  fill(slots);
  fill(content);
  return maps;
}

// The route table bpf_fib_lookup reads for a named environment of expectations.json:
// loopback, each link with its connected prefixes and local addresses, the
// listed routes and the permanent neighbours.
export function environmentRoutes(name: string): RouteTable {
  const environment = expectations().environments[name];
  if (environment === undefined) throw new Error(`expectations.json has no environment ${name}`);
  const devices: Record<string, unknown>[] = [{ ifindex: 1, mtu: 65536, forwarding: true }];
  const routes: Record<string, unknown>[] = [];
  for (const link of environment.links) {
    const ipv4 = link.addresses.find((a) => !a.includes(":"));
    const ipv6 = link.addresses.find((a) => a.includes(":"));
    devices.push({ ifindex: link.ifindex, mac: link.mac, mtu: 1500, forwarding: true, ...(ipv4 ? { ipv4: ipv4.split("/")[0] } : {}), ...(ipv6 ? { ipv6: ipv6.split("/")[0] } : {}) });
    for (const address of link.addresses) {
      const [ip, length] = address.split("/");
      routes.push({ prefix: `${ip}/${ip.includes(":") ? 128 : 32}`, ifindex: link.ifindex, type: "local" });
      routes.push({ prefix: `${networkOf(ip, Number(length))}/${length}`, ifindex: link.ifindex, type: "unicast" });
    }
  }
  for (const route of environment.routes) routes.push({ prefix: route.dst, type: route.type });
  const neighbors = environment.neighbours.map((n) => ({ address: n.dst, mac: n.mac }));
  return parseRouteTable({ devices, routes, neighbors }, `expectations.json environment ${name}`);
}

// The network address of `ip` under a prefix of `length` bits, in the same notation.
function networkOf(ip: string, length: number): string {
  if (!ip.includes(":")) {
    const value = ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
    const mask = length === 0 ? 0 : (0xffff_ffff << (32 - length)) >>> 0;
    const network = (value & mask) >>> 0;
    return [24, 16, 8, 0].map((shift) => (network >>> shift) & 0xff).join(".");
  }
  const [head, tail = ""] = ip.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups].map((g) => parseInt(g, 16));
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, length - 16 * i));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return masked.map((g) => g.toString(16)).join(":");
}
