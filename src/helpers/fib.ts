// bpf_fib_lookup for XDP against a route table given as JSON, following the
// kernel's bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup (net/core/filter.c):
// longest-prefix match, route types mapped to BPF_FIB_LKUP_RET_* codes, the
// MTU check XDP always asks for, gateway rewrite, neighbour resolution.
//
// Route table format:
//   { "devices":   [{ "ifindex": 2, "mac": "02:00:00:00:00:02", "mtu": 1500,
//                     "forwarding": true, "ipv4": "10.0.0.254", "ipv6": "fd00::fe" }],
//     "routes":    [{ "prefix": "10.1.0.0/16", "ifindex": 2, "gateway": "10.0.0.1",
//                     "type": "unicast" | "blackhole" | "unreachable" | "prohibit" | "local",
//                     "metric": 0 }],
//     "neighbors": [{ "address": "10.0.0.1", "mac": "aa:bb:cc:dd:ee:01" }] }
import { OffloadSimError } from "../errors.ts";
import { Errno } from "../maps/errno.ts";
import { isOutcome, writableBytes } from "./args.ts";
import { returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

export class RouteTableError extends OffloadSimError {}

export type RouteType = "unicast" | "blackhole" | "unreachable" | "prohibit" | "local";

interface Address {
  readonly family: "ipv4" | "ipv6";
  readonly value: bigint;
}

export interface Device {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly forwarding: boolean;
  readonly ipv4?: Address;
  readonly ipv6?: Address;
}

export interface Route {
  readonly prefix: Address;
  readonly prefixLength: number;
  readonly ifindex: number;
  readonly gateway?: Address;
  readonly type: RouteType;
  readonly metric: number;
}

export interface Neighbor {
  readonly address: Address;
  readonly mac: Uint8Array;
}

export interface RouteTable {
  readonly devices: readonly Device[];
  readonly routes: readonly Route[];
  readonly neighbors: readonly Neighbor[];
}

// include/uapi/linux/bpf.h
export const FibResult = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
} as const;
const FibFlag = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 } as const;
const ALL_FLAGS = FibFlag.DIRECT | FibFlag.OUTPUT | FibFlag.SKIP_NEIGH | FibFlag.TBID | FibFlag.SRC;
const AF_INET = 2;
const AF_INET6 = 10;
// include/uapi/asm-generic/errno.h (not in src/maps/errno.ts).
const EAFNOSUPPORT = 97;

// struct bpf_fib_lookup field offsets.
const Field = { FAMILY: 0, TOT_LEN: 6, IFINDEX: 8, RT_METRIC: 12, SRC: 16, DST: 32, VLAN_PROTO: 48, VLAN_TCI: 50, SMAC: 52, DMAC: 58 };
export const FIB_LOOKUP_BYTES = 64;

export function fibLookup(call: HelperCall): HelperOutcome {
  const length = Number(BigInt.asIntN(32, call.args[2]));
  const flags = Number(BigInt.asUintN(32, call.args[3]));
  const refused = fibArgumentsRefused(length, flags);
  if (refused !== 0) return returns(refused);
  const params = writableBytes(call, call.args[1], FIB_LOOKUP_BYTES);
  if (isOutcome(params)) return params;
  return returns(lookupInto(routesOf(call.machine.routes), params, flags));
}

// -EINVAL for a struct shorter than bpf_fib_lookup's or an unknown flag, else 0 (checked before the struct is read).
export const fibArgumentsRefused = (length: number, flags: number): number =>
  length < FIB_LOOKUP_BYTES || (flags & ~ALL_FLAGS) !== 0 ? -Errno.EINVAL : 0;

const NO_ROUTES: RouteTable = { devices: [], routes: [], neighbors: [] };
// A run without a route table looks up in an empty one.
export const routesOf = (routes: RouteTable | undefined): RouteTable => routes ?? NO_ROUTES;

// Fills `params` as the kernel does and returns the BPF_FIB_LKUP_RET_* code or a negative errno.
export function lookupInto(table: RouteTable, params: Uint8Array, flags: number): number {
  const view = new DataView(params.buffer, params.byteOffset, params.byteLength);
  const familyCode = params[Field.FAMILY];
  if (familyCode !== AF_INET && familyCode !== AF_INET6) return -EAFNOSUPPORT;
  const family = familyCode === AF_INET ? "ipv4" : "ipv6";
  const destination = readAddress(params, Field.DST, family);
  // bpf_ipv6_fib_lookup: rt6_need_strict() on either address (multicast, link-local, loopback) is NOT_FWDED, before
  // any other check, the device lookup included (a missing ifindex still answers NOT_FWDED; Linux 6.18, fib_order.o).
  if (family === "ipv6" && (needsStrictIpv6(destination) || needsStrictIpv6(readAddress(params, Field.SRC, family)))) return FibResult.NOT_FWDED;
  const ingress = table.devices.find((d) => d.ifindex === view.getUint32(Field.IFINDEX, true));
  if (!ingress) return -Errno.ENODEV;
  if (!ingress.forwarding) return FibResult.FWD_DISABLED;
  const route = longestMatch(table.routes, destination);
  if (!route) return FibResult.NOT_FWDED;
  switch (route.type) {
    case "blackhole":
      return FibResult.BLACKHOLE;
    case "unreachable":
      return FibResult.UNREACHABLE;
    case "prohibit":
      return FibResult.PROHIBIT;
    case "local":
      return FibResult.NOT_FWDED;
    case "unicast":
      break;
  }
  const egress = table.devices.find((d) => d.ifindex === route.ifindex);
  if (!egress) return FibResult.NOT_FWDED;
  const totalLength = view.getUint16(Field.TOT_LEN, true);
  if (totalLength > egress.mtu) {
    view.setUint16(Field.TOT_LEN, egress.mtu, true);
    return FibResult.FRAG_NEEDED;
  }
  view.setUint32(Field.RT_METRIC, route.metric >>> 0, true);
  view.setUint32(Field.IFINDEX, egress.ifindex, true);
  if (flags & FibFlag.SRC) {
    const source = family === "ipv4" ? egress.ipv4 : egress.ipv6;
    if (!source) return FibResult.NO_SRC_ADDR;
    writeAddress(params, Field.SRC, source);
  }
  const nextHop = route.gateway ?? destination;
  if (route.gateway) writeAddress(params, Field.DST, route.gateway);
  if (!(flags & FibFlag.SKIP_NEIGH)) {
    const neighbor = table.neighbors.find((n) => n.address.family === family && n.address.value === nextHop.value);
    if (!neighbor) return FibResult.NO_NEIGH;
    params.set(neighbor.mac, Field.DMAC);
    params.set(egress.mac, Field.SMAC);
  }
  view.setUint16(Field.VLAN_TCI, 0, true);
  view.setUint16(Field.VLAN_PROTO, 0, true);
  view.setUint16(Field.TOT_LEN, egress.mtu, true);
  return FibResult.SUCCESS;
}

// include/net/ip6_route.h rt6_need_strict: ipv6_addr_type() says multicast (ff00::/8),
// link-local unicast (fe80::/10) or loopback (::1).
function needsStrictIpv6(address: Address): boolean {
  const top16 = address.value >> 112n;
  return top16 >> 8n === 0xffn || top16 >> 6n === 0xfe80n >> 6n || address.value === 1n;
}

function longestMatch(routes: readonly Route[], destination: Address): Route | undefined {
  // IPv4 prefixes compare as 32-bit numbers (no BigInt per route); IPv6 ones as BigInt.
  const ipv4 = destination.family === "ipv4" ? Number(destination.value) : -1;
  let best: Route | undefined;
  for (const route of routes) {
    if (route.prefix.family !== destination.family) continue;
    if (ipv4 >= 0 ? !ipv4PrefixMatches(ipv4, ipv4Number(route.prefix), route.prefixLength) : !ipv6PrefixMatches(destination.value, route.prefix.value, route.prefixLength)) continue;
    if (!best || route.prefixLength > best.prefixLength || (route.prefixLength === best.prefixLength && route.metric < best.metric)) {
      best = route;
    }
  }
  return best;
}

// The first `prefixLength` bits of two IPv4 addresses (as unsigned 32-bit numbers) agree.
const ipv4PrefixMatches = (address: number, prefix: number, prefixLength: number): boolean =>
  prefixLength === 0 || (address ^ prefix) >>> (32 - prefixLength) === 0;

const ipv6PrefixMatches = (address: bigint, prefix: bigint, prefixLength: number): boolean => {
  const shift = BigInt(128 - prefixLength);
  return address >> shift === prefix >> shift;
};

// A route's IPv4 prefix as a number, converted once per address.
const ipv4Numbers = new WeakMap<Address, number>();
function ipv4Number(address: Address): number {
  let value = ipv4Numbers.get(address);
  if (value === undefined) {
    value = Number(address.value);
    ipv4Numbers.set(address, value);
  }
  return value;
}

function readAddress(params: Uint8Array, offset: number, family: "ipv4" | "ipv6"): Address {
  if (family === "ipv4") {
    // One BigInt for the whole address (it is compared with route and neighbour addresses).
    const value = ((params[offset] << 24) | (params[offset + 1] << 16) | (params[offset + 2] << 8) | params[offset + 3]) >>> 0;
    return { family, value: BigInt(value) };
  }
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(params[offset + i]);
  return { family, value };
}

function writeAddress(params: Uint8Array, offset: number, address: Address): void {
  const length = address.family === "ipv4" ? 4 : 16;
  for (let i = 0; i < length; i++) params[offset + i] = Number((address.value >> BigInt(8 * (length - 1 - i))) & 0xffn);
}

// ---- parsing the JSON form ----

export function parseRouteTable(json: unknown, source = "route table"): RouteTable {
  const fail = (where: string, what: string): never => {
    throw new RouteTableError(`${source}: ${where} ${what}.`, { file: source });
  };
  const object = (value: unknown, where: string): Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(where, "must be an object");
  const list = (value: unknown, where: string): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : fail(where, "must be an array"));
  const integer = (value: unknown, where: string, fallback?: number): number => {
    if (value === undefined && fallback !== undefined) return fallback;
    return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff ? value : fail(where, "must be an integer from 0 to 2^32-1");
  };
  const text = (value: unknown, where: string): string => (typeof value === "string" ? value : fail(where, "must be a string"));
  const address = (value: unknown, where: string): Address => parseAddress(text(value, where)) ?? fail(where, `is not an IPv4 or IPv6 address: ${String(value)}`);
  const mac = (value: unknown, where: string): Uint8Array => parseMac(text(value, where)) ?? fail(where, `is not a MAC address like 02:00:00:00:00:01: ${String(value)}`);

  const top = object(json, "the top level");
  const devices = list(top.devices, "devices").map((entry, i): Device => {
    const where = `devices[${i}]`;
    const d = object(entry, where);
    return {
      ifindex: integer(d.ifindex, `${where}.ifindex`),
      mac: d.mac === undefined ? new Uint8Array(6) : mac(d.mac, `${where}.mac`),
      mtu: integer(d.mtu, `${where}.mtu`, 1500),
      forwarding: d.forwarding === undefined ? true : d.forwarding === true,
      ...(d.ipv4 === undefined ? {} : { ipv4: address(d.ipv4, `${where}.ipv4`) }),
      ...(d.ipv6 === undefined ? {} : { ipv6: address(d.ipv6, `${where}.ipv6`) }),
    };
  });
  const routes = list(top.routes, "routes").map((entry, i): Route => {
    const where = `routes[${i}]`;
    const r = object(entry, where);
    const [network, lengthText] = text(r.prefix, `${where}.prefix`).split("/");
    const prefix = address(network, `${where}.prefix`);
    const maxLength = prefix.family === "ipv4" ? 32 : 128;
    const prefixLength = lengthText === undefined ? maxLength : Number(lengthText);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > maxLength) fail(`${where}.prefix`, `has a bad prefix length /${lengthText}`);
    const type = r.type === undefined ? "unicast" : text(r.type, `${where}.type`);
    if (!["unicast", "blackhole", "unreachable", "prohibit", "local"].includes(type)) fail(`${where}.type`, `is not one of unicast, blackhole, unreachable, prohibit, local`);
    return {
      prefix,
      prefixLength,
      ifindex: integer(r.ifindex, `${where}.ifindex`, 0),
      ...(r.gateway === undefined ? {} : { gateway: address(r.gateway, `${where}.gateway`) }),
      type: type as RouteType,
      metric: integer(r.metric, `${where}.metric`, 0),
    };
  });
  const neighbors = list(top.neighbors, "neighbors").map((entry, i): Neighbor => {
    const where = `neighbors[${i}]`;
    const n = object(entry, where);
    return { address: address(n.address, `${where}.address`), mac: mac(n.mac, `${where}.mac`) };
  });
  return { devices, routes, neighbors };
}

function parseAddress(textForm: string): Address | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(textForm);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { family: "ipv4", value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  }
  if (!/^[0-9a-fA-F:]+$/.test(textForm) || !textForm.includes(":")) return undefined;
  const halves = textForm.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => g.length === 0 || g.length > 4)) return undefined;
  return { family: "ipv6", value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function parseMac(textForm: string): Uint8Array | undefined {
  const parts = textForm.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
