// The sample XDP programs (programs/*.o, built by clang) on their crafted
// packets. programs/expectations.json holds each case's expected action,
// output frame and map contents, derived by hand from the C sources and
// confirmed against Linux 6.18's BPF_PROG_TEST_RUN; here the ELF loader, the
// maps and the interpreter must reproduce them.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Program } from "../../src/ebpf/instruction.ts";
import { loadObject } from "../../src/elf/index.ts";
import { parseRouteTable, type RouteTable } from "../../src/helpers/fib.ts";
import { DEFAULT_CLOCK } from "../../src/helpers/runtime.ts";
import { createMap } from "../../src/maps/create.ts";
import { MapType, type SimMap } from "../../src/maps/types.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";

const EXPECTATIONS = "programs/expectations.json";

interface Entry {
  readonly key: string;
  readonly value?: string;
  readonly valueMask?: string;
  readonly program?: string;
}
interface Case {
  readonly name: string;
  readonly packet: string;
  readonly maps?: Record<string, { entries: Entry[] }>;
  readonly environment?: string;
  readonly ktimeNsAtLeast?: number;
  readonly expected: { retval: number; packetOut: string; maps?: Record<string, { entries: Entry[] }> };
}
interface ProgramCases {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: Record<string, { entries: Entry[] }>;
  readonly cases: Case[];
}
interface Link {
  readonly ifindex: number;
  readonly mac: string;
  readonly addresses: string[];
}
interface Environment {
  readonly links: Link[];
  readonly routes: { dst: string; type: string }[];
  readonly neighbours: { dst: string; mac: string }[];
}

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// The namespace the kernel check ran in, as a route table: the loopback device the
// test run enters on, each link with its connected and local routes, the listed routes.
function routeTable(environment: Environment): RouteTable {
  const network = (address: string): string => {
    const [ip, length] = address.split("/");
    if (!ip.includes(":")) {
      const bits = Number(length);
      const value = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
      const masked = bits === 0 ? 0 : value - (value % 2 ** (32 - bits));
      return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join(".")}/${bits}`;
    }
    return `${ip.replace(/::[0-9a-f]*$/, "::")}/${length}`;
  };
  return parseRouteTable({
    devices: [
      { ifindex: 1, mtu: 65536 },
      ...environment.links.map((link) => ({
        ifindex: link.ifindex,
        mac: link.mac,
        ipv4: link.addresses.find((a) => !a.includes(":"))?.split("/")[0],
        ipv6: link.addresses.find((a) => a.includes(":"))?.split("/")[0],
      })),
    ],
    routes: [
      ...environment.links.flatMap((link) =>
        link.addresses.flatMap((address) => [
          { prefix: network(address), ifindex: link.ifindex },
          { prefix: address.split("/")[0], ifindex: link.ifindex, type: "local" },
        ]),
      ),
      ...environment.routes.map((route) => ({ prefix: route.dst, type: route.type })),
    ],
    neighbors: environment.neighbours.map((n) => ({ address: n.dst, mac: n.mac })),
  });
}

// What the expectation compares: every entry of a hash-like map and of a global-data
// map (.bss, .data, .rodata: their one value), the non-zero entries of other arrays.
function contents(map: SimMap): Map<string, Uint8Array> {
  const arrayLike = (map.def.type === MapType.ARRAY || map.def.type === MapType.PERCPU_ARRAY) && !map.def.name.startsWith(".");
  const out = new Map<string, Uint8Array>();
  for (const entry of map.entries()) {
    const value = entry.value ?? sumPerCpu(entry.perCpu ?? []);
    if (arrayLike && value.every((b) => b === 0)) continue;
    out.set(toHex(entry.key), value);
  }
  return out;
}

function sumPerCpu(values: readonly Uint8Array[]): Uint8Array {
  const sum = new Uint8Array(values[0]?.length ?? 0);
  const view = new DataView(sum.buffer);
  for (const value of values) {
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    for (let at = 0; at + 8 <= value.length; at += 8) view.setBigUint64(at, view.getBigUint64(at, true) + v.getBigUint64(at, true), true);
  }
  return sum;
}

const present = existsSync(EXPECTATIONS);
const suite: { environments: Record<string, Environment>; programs: ProgramCases[] } = present ? JSON.parse(readFileSync(EXPECTATIONS, "utf8")) : { environments: {}, programs: [] };
const cases = suite.programs.flatMap((p) => p.cases.map((c) => ({ label: `${p.program}: ${c.name}`, program: p, testCase: c })));

describe.skipIf(!present)("sample programs on their expected packets", () => {
  it.each(cases)("$label", ({ program, testCase }) => {
    const object = loadObject(new Uint8Array(readFileSync(program.object)), program.object);
    const maps = object.maps.map((def) => createMap(def));
    const byName = (name: string): SimMap => maps[object.maps.findIndex((def) => def.name === name)];
    const programs = new Map<number, Program>(object.programs.map((p, index) => [index, p.insns]));
    const entry = object.programs.find((p) => p.name === program.program)!;
    for (const [name, { entries }] of Object.entries(program.loadTimeMaps ?? {})) {
      for (const e of entries) {
        if (e.program === undefined) continue;
        const index = object.programs.findIndex((p) => p.name === e.program);
        expect(byName(name).sysUpdate(hex(e.key), Uint8Array.of(index, 0, 0, 0), 0)).toBe(0);
      }
    }
    for (const [name, { entries }] of Object.entries(testCase.maps ?? {})) {
      for (const e of entries) expect(byName(name).sysUpdate(hex(e.key), hex(e.value!), 0)).toBe(0);
    }
    const out = runXdp(entry.insns, hex(testCase.packet), maps, {
      programs,
      externs: entry.externs,
      clock: { ...DEFAULT_CLOCK, startNs: BigInt(testCase.ktimeNsAtLeast ?? 0) + DEFAULT_CLOCK.startNs },
      ...(testCase.environment ? { routes: routeTable(suite.environments[testCase.environment]) } : {}),
    });
    expect(out.fault?.message).toBeUndefined();
    expect(out.action).toBe(testCase.expected.retval);
    expect(toHex(out.dataOut)).toBe(testCase.expected.packetOut);
    for (const [name, { entries }] of Object.entries(testCase.expected.maps ?? {})) {
      const actual = contents(byName(name));
      expect([...actual.keys()].sort(), `keys of ${name}`).toEqual(entries.map((e) => e.key).sort());
      for (const e of entries) {
        const mask = e.valueMask ? hex(e.valueMask) : undefined;
        const masked = (bytes: Uint8Array) => toHex(bytes.map((b, i) => (mask ? b & mask[i] : b)));
        expect(masked(actual.get(e.key)!), `${name}[${e.key}]`).toBe(masked(hex(e.value!)));
      }
    }
  });
});
