// Every crafted case of programs/expectations.json through our interpreter:
// the ELF object loaded by src/elf, its maps created and filled with the
// case's contents, the packet run by runXdp, and the action, the output
// frame and the maps afterwards compared with what the case expects. The
// expectations were worked out by hand (programs/tools/gen_expectations.py)
// and confirmed against the kernel (corpus.test.ts), never taken from us.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../src/elf/index.ts";
import { DEFAULT_CLOCK } from "../../src/helpers/index.ts";
import { dumpMap, MapType, type SimMap } from "../../src/maps/index.ts";
import { createObjectMaps, loadMapContent, programId, selectProgram, tailCallPrograms, type ObjectMaps } from "../../src/oracle/object-setup.ts";
import { environmentRouteTable, parseEnvironment } from "../../src/oracle/environment.ts";
import { runXdp } from "../../src/xdp/index.ts";

const programsDir = fileURLToPath(new URL("../../programs/", import.meta.url));

interface CaseEntry {
  readonly key: string;
  readonly value?: string;
  readonly valueMask?: string;
  readonly program?: string;
}
type MapContents = Readonly<Record<string, { readonly entries: readonly CaseEntry[] }>>;
interface Case {
  readonly name: string;
  readonly packet: string;
  readonly maps?: MapContents;
  readonly ktimeNsAtLeast?: number;
  readonly environment?: string;
  readonly expected: { readonly action: string; readonly retval: number; readonly packetOut: string; readonly maps?: MapContents };
}
interface ProgramCases {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: MapContents;
  readonly cases: readonly Case[];
}
interface Expectations {
  readonly environments: Readonly<Record<string, unknown>>;
  readonly programs: readonly ProgramCases[];
}

const expectations = JSON.parse(readFileSync(join(programsDir, "expectations.json"), "utf8")) as Expectations;
const objects = new Map<string, BpfObject>();
function objectAt(path: string): BpfObject {
  let object = objects.get(path);
  if (object === undefined) {
    object = loadObject(new Uint8Array(readFileSync(join(programsDir, "..", path))), path);
    objects.set(path, object);
  }
  return object;
}

// Two simulated CPUs, so that "a per-CPU value is the sum over CPUs" is a real sum; the run is on CPU 0.
const CPUS = 2;
const hexOf = (data: Uint8Array): string => Buffer.from(data).toString("hex");
const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

// The prog_array static initializer is not part of MapDef (src/elf reads the definition only), so the
// slots the kernel's loader fills come from loadTimeMaps, as programs/README.md says.
function withProgArraySlots(setup: ObjectMaps, loadTime: MapContents | undefined): ObjectMaps {
  let result = setup;
  for (const [name, content] of Object.entries(loadTime ?? {})) {
    const slots = content.entries.filter((e) => e.program !== undefined);
    if (slots.length > 0) result = loadMapContent(result, name, { entries: slots }, "loadTimeMaps");
  }
  return result;
}

// What expectations.json states of a map after a run: per-CPU values summed as little-endian u64
// words, array entries only when not all zero or named by the case, prog_array slots as the
// program they hold.
function observed(object: BpfObject, map: SimMap, named: ReadonlySet<string>): Map<string, Uint8Array | string> {
  const dump = dumpMap(map);
  const result = new Map<string, Uint8Array | string>();
  const isArray = map.def.type === MapType.ARRAY || map.def.type === MapType.PERCPU_ARRAY;
  for (const entry of dump.entries) {
    if (map.def.type === MapType.PROG_ARRAY) {
      const id = new DataView(bytes(entry.value ?? "").buffer).getUint32(0, true);
      result.set(entry.key, object.programs[id]?.name ?? `program ${id}`);
      continue;
    }
    const value = entry.percpu !== undefined ? sumU64Words(entry.percpu.map(bytes)) : bytes(entry.value ?? "");
    if (isArray && value.every((b) => b === 0) && !named.has(entry.key)) continue;
    result.set(entry.key, value);
  }
  return result;
}

function sumU64Words(values: readonly Uint8Array[]): Uint8Array {
  const sum = new Uint8Array(values[0].length);
  const view = new DataView(sum.buffer);
  for (const value of values) {
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    for (let at = 0; at + 8 <= value.length; at += 8) view.setBigUint64(at, BigInt.asUintN(64, view.getBigUint64(at, true) + v.getBigUint64(at, true)), true);
  }
  return sum;
}

function masked(value: Uint8Array, mask: string | undefined): string {
  if (mask === undefined) return hexOf(value);
  const m = bytes(mask);
  return hexOf(value.map((b, i) => b & m[i]));
}

function expectMap(object: BpfObject, map: SimMap, expected: readonly CaseEntry[], where: string): void {
  const actual = observed(object, map, new Set(expected.map((e) => e.key)));
  expect([...actual.keys()].sort(), `${where}: keys of map ${map.def.name}`).toEqual(expected.map((e) => e.key).sort());
  for (const entry of expected) {
    const value = actual.get(entry.key);
    if (entry.program !== undefined) {
      expect(value, `${where}: ${map.def.name}[${entry.key}]`).toBe(entry.program);
      continue;
    }
    expect(value instanceof Uint8Array ? masked(value, entry.valueMask) : value, `${where}: ${map.def.name}[${entry.key}]`).toBe(
      masked(bytes(entry.value ?? ""), entry.valueMask),
    );
  }
}

describe("every crafted case of programs/expectations.json in the interpreter", () => {
  for (const program of expectations.programs) {
    describe(`${program.object}: ${program.program}`, () => {
      for (const testCase of program.cases) {
        it(testCase.name, () => {
          const object = objectAt(program.object);
          const bpfProgram = selectProgram(object, program.program);
          let setup = withProgArraySlots(createObjectMaps(object, CPUS), program.loadTimeMaps);
          for (const [name, content] of Object.entries(testCase.maps ?? {})) setup = loadMapContent(setup, name, content, `case maps`);
          const environment = testCase.environment === undefined ? undefined : parseEnvironment(expectations.environments[testCase.environment], testCase.environment);
          const clock = testCase.ktimeNsAtLeast === undefined ? DEFAULT_CLOCK : { ...DEFAULT_CLOCK, startNs: BigInt(testCase.ktimeNsAtLeast) };
          const result = runXdp(bpfProgram.insns, bytes(testCase.packet), setup.maps, {
            programs: tailCallPrograms(object),
            clock,
            ...(environment === undefined ? {} : { routes: environmentRouteTable(environment) }),
          });
          expect(result.fault?.message, "the run ends without a fault").toBeUndefined();
          expect(result.action, "the XDP action").toBe(testCase.expected.retval);
          expect(result.actionName).toBe(testCase.expected.action);
          expect(hexOf(result.packetOut), "the output frame").toBe(testCase.expected.packetOut);
          for (const [name, content] of Object.entries(testCase.expected.maps ?? {})) {
            const index = object.maps.findIndex((def) => def.name === name);
            expectMap(object, setup.maps[index], content.entries, testCase.name);
          }
          // The load-time content the case relies on is still there after the run.
          for (const [name, content] of Object.entries(program.loadTimeMaps ?? {})) {
            const index = object.maps.findIndex((def) => def.name === name);
            const slots = content.entries.filter((e) => e.program !== undefined);
            for (const slot of slots) expect(programId(object, slot.program!), `${name} slot program`).toBeDefined();
            if (slots.length === 0) expectMap(object, setup.maps[index], content.entries, `${testCase.name} (load-time ${name})`);
          }
        });
      }
    });
  }
});
