// The network a program's bpf_fib_lookup sees, described once and made real
// twice: as a network namespace for the kernel (network-namespace.ts runs
// the commands below) and as the route table the interpreter's fib helper
// reads. The description is the one programs/expectations.json uses under
// "environments": links with addresses, extra routes, permanent neighbours;
// forwarding is on unless it says otherwise.
//
// The route table holds what the kernel adds by itself for that set-up
// (checked with `ip route show table all` on Linux 6.18): a connected route
// per address prefix, a local route per address and for loopback
// (127.0.0.0/8, ::1), the IPv4 broadcast routes, fe80::/64 on every link,
// ff00::/8 multicast and the IPv6 subnet-router anycast address once
// forwarding is on. bpf_fib_lookup answers NOT_FWDED for every route that is
// not unicast (net/core/filter.c bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup),
// which the route table's "local" type stands for.
import { OffloadSimError } from "../errors.ts";
import { parseRouteTable, type RouteTable } from "../helpers/fib.ts";

export class EnvironmentError extends OffloadSimError {}

export interface EnvironmentLink {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: string;
  // A veth is created with this peer name (the peer stays in the namespace, without addresses).
  readonly peer: string;
  readonly addresses: readonly string[];
  readonly mtu?: number;
}

export interface EnvironmentRoute {
  readonly dst: string;
  readonly type: "blackhole" | "unreachable" | "prohibit";
}

export interface EnvironmentNeighbour {
  readonly dst: string;
  readonly mac: string;
  readonly dev: string;
}

export interface NetworkEnvironment {
  readonly links: readonly EnvironmentLink[];
  readonly routes: readonly EnvironmentRoute[];
  readonly neighbours: readonly EnvironmentNeighbour[];
  readonly forwarding: boolean;
}

// A fresh namespace: loopback up, nothing else, forwarding off (a new namespace's default).
export const EMPTY_ENVIRONMENT: NetworkEnvironment = { links: [], routes: [], neighbours: [], forwarding: false };

// include/uapi/linux/if.h: loopback is always ifindex 1 in a network namespace.
export const LOOPBACK_IFINDEX = 1;
// The MTU a new veth and loopback get (drivers/net/veth.c, drivers/net/loopback.c).
const VETH_MTU = 1500;
const LOOPBACK_MTU = 65536;
const ROUTE_TYPES = ["blackhole", "unreachable", "prohibit"] as const;

// Reads the description (an object as in expectations.json "environments"); `source` names it in errors.
export function parseEnvironment(json: unknown, source: string): NetworkEnvironment {
  const fail = (where: string, what: string): never => {
    throw new EnvironmentError(`${source}: ${where} ${what}.`, { file: source });
  };
  const object = (value: unknown, where: string): Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(where, "must be an object");
  const list = (value: unknown, where: string): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : fail(where, "must be an array"));
  const text = (value: unknown, where: string): string => (typeof value === "string" && value.length > 0 ? value : fail(where, "must be a string"));
  const top = object(json, "the environment");
  const links = list(top.links, "links").map((entry, i): EnvironmentLink => {
    const link = object(entry, `links[${i}]`);
    const ifindex = link.ifindex;
    if (typeof ifindex !== "number" || !Number.isInteger(ifindex) || ifindex <= LOOPBACK_IFINDEX || ifindex > 0xffff) {
      fail(`links[${i}].ifindex`, "must be an integer from 2 to 65535");
    }
    const mtu = link.mtu;
    if (mtu !== undefined && (typeof mtu !== "number" || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) fail(`links[${i}].mtu`, "must be an integer from 68 to 65535");
    return {
      name: text(link.name, `links[${i}].name`),
      ifindex: ifindex as number,
      mac: text(link.mac, `links[${i}].mac`),
      peer: text(link.peer, `links[${i}].peer`),
      addresses: list(link.addresses, `links[${i}].addresses`).map((a, j) => text(a, `links[${i}].addresses[${j}]`)),
      ...(mtu === undefined ? {} : { mtu: mtu as number }),
    };
  });
  const routes = list(top.routes, "routes").map((entry, i): EnvironmentRoute => {
    const route = object(entry, `routes[${i}]`);
    const type = text(route.type, `routes[${i}].type`);
    if (!(ROUTE_TYPES as readonly string[]).includes(type)) fail(`routes[${i}].type`, `must be one of ${ROUTE_TYPES.join(", ")}`);
    return { dst: text(route.dst, `routes[${i}].dst`), type: type as EnvironmentRoute["type"] };
  });
  const neighbours = list(top.neighbours, "neighbours").map((entry, i): EnvironmentNeighbour => {
    const n = object(entry, `neighbours[${i}]`);
    const dev = text(n.dev, `neighbours[${i}].dev`);
    if (!links.some((l) => l.name === dev)) fail(`neighbours[${i}].dev`, `names no link of the environment ('${dev}')`);
    return { dst: text(n.dst, `neighbours[${i}].dst`), mac: text(n.mac, `neighbours[${i}].mac`), dev };
  });
  const forwarding = top.forwarding === undefined ? true : top.forwarding === true;
  const environment = { links, routes, neighbours, forwarding };
  // The route table parser checks every address, prefix and MAC.
  environmentRouteTable(environment, source);
  return environment;
}

interface ParsedAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  readonly octets: Uint8Array;
}

// The route table the interpreter's bpf_fib_lookup reads for this environment.
export function environmentRouteTable(environment: NetworkEnvironment, source = "environment"): RouteTable {
  const devices: Record<string, unknown>[] = [{ ifindex: LOOPBACK_IFINDEX, mtu: LOOPBACK_MTU, forwarding: environment.forwarding }];
  const routes: Record<string, unknown>[] = [
    { prefix: "127.0.0.0/8", ifindex: LOOPBACK_IFINDEX, type: "local" },
    { prefix: "::1/128", ifindex: LOOPBACK_IFINDEX, type: "local" },
    { prefix: "ff00::/8", type: "local" },
  ];
  for (const link of environment.links) {
    const addresses = link.addresses.map((a) => parseCidr(a, source));
    const first = (family: 4 | 6): string | undefined => addresses.find((a) => a.family === family)?.address;
    devices.push({
      ifindex: link.ifindex,
      mac: link.mac,
      mtu: link.mtu ?? VETH_MTU,
      forwarding: environment.forwarding,
      ...(first(4) === undefined ? {} : { ipv4: first(4) }),
      ...(first(6) === undefined ? {} : { ipv6: first(6) }),
    });
    routes.push({ prefix: "fe80::/64", ifindex: link.ifindex, type: "unicast" });
    for (const a of addresses) {
      const bits = a.family === 4 ? 32 : 128;
      routes.push({ prefix: `${formatAddress(networkOf(a.octets, a.prefixLength), a.family)}/${a.prefixLength}`, ifindex: link.ifindex, type: "unicast" });
      routes.push({ prefix: `${a.address}/${bits}`, ifindex: link.ifindex, type: "local" });
      if (a.family === 4 && a.prefixLength < 31) {
        routes.push({ prefix: `${formatAddress(broadcastOf(a.octets, a.prefixLength), 4)}/32`, ifindex: link.ifindex, type: "local" });
      }
      if (a.family === 6 && environment.forwarding && a.prefixLength < 127) {
        routes.push({ prefix: `${formatAddress(networkOf(a.octets, a.prefixLength), 6)}/128`, ifindex: link.ifindex, type: "local" });
      }
    }
  }
  for (const route of environment.routes) routes.push({ prefix: route.dst, type: route.type });
  const neighbors = environment.neighbours.map((n) => ({ address: n.dst, mac: n.mac }));
  return parseRouteTable({ devices, routes, neighbors }, source);
}

// The commands that build the environment inside the current (fresh) namespace, in order.
// The empty environment needs none: a fresh namespace already is that (loopback is down,
// which only matters to routes, and forwarding is off, which bpf_fib_lookup checks first).
export function environmentCommands(environment: NetworkEnvironment): string[][] {
  const empty = environment.links.length + environment.routes.length + environment.neighbours.length === 0 && !environment.forwarding;
  if (empty) return [];
  const commands: string[][] = [["ip", "link", "set", "lo", "up"]];
  for (const link of environment.links) {
    commands.push(["ip", "link", "add", link.name, "index", String(link.ifindex), "address", link.mac, "type", "veth", "peer", "name", link.peer]);
    if (link.mtu !== undefined) commands.push(["ip", "link", "set", link.name, "mtu", String(link.mtu)]);
    commands.push(["ip", "link", "set", link.name, "up"], ["ip", "link", "set", link.peer, "up"]);
    // nodad: an IPv6 address is usable at once instead of after duplicate address detection.
    for (const address of link.addresses) commands.push(["ip", "addr", "add", address, "dev", link.name, ...(address.includes(":") ? ["nodad"] : [])]);
  }
  for (const route of environment.routes) commands.push(["ip", "route", "add", route.type, route.dst]);
  for (const n of environment.neighbours) commands.push(["ip", "neigh", "replace", n.dst, "lladdr", n.mac, "dev", n.dev, "nud", "permanent"]);
  const forwarding = environment.forwarding ? "1" : "0";
  commands.push(["sysctl", "-q", "-w", `net.ipv4.ip_forward=${forwarding}`, `net.ipv6.conf.all.forwarding=${forwarding}`]);
  return commands;
}

function parseCidr(text: string, source: string): ParsedAddress {
  const [address, lengthText] = text.split("/");
  const octets = address.includes(":") ? ipv6Octets(address) : ipv4Octets(address);
  const family = address.includes(":") ? 6 : 4;
  const prefixLength = lengthText === undefined ? (family === 4 ? 32 : 128) : Number(lengthText);
  if (octets === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > octets.length * 8) {
    throw new EnvironmentError(`${source}: '${text}' is not an address with a prefix length like 198.51.100.1/24 or 2001:db8::1/64.`, { file: source });
  }
  return { family, address, prefixLength, octets };
}

function ipv4Octets(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

function ipv6Octets(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return Uint8Array.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function networkOf(octets: Uint8Array, prefixLength: number): Uint8Array {
  return octets.map((byte, i) => byte & maskByte(prefixLength, i));
}

function broadcastOf(octets: Uint8Array, prefixLength: number): Uint8Array {
  return octets.map((byte, i) => byte | (~maskByte(prefixLength, i) & 0xff));
}

function maskByte(prefixLength: number, index: number): number {
  const bits = Math.max(0, Math.min(8, prefixLength - index * 8));
  return (0xff << (8 - bits)) & 0xff;
}

function formatAddress(octets: Uint8Array, family: 4 | 6): string {
  if (family === 4) return Array.from(octets).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i] << 8) | octets[i + 1]).toString(16));
  return groups.join(":");
}
