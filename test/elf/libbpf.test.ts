// Our loader against libbpf itself: for each object, the programs, their
// types and maps libbpf's bpf_object__open finds, and, after
// bpf_object__load, the exact instructions libbpf handed to the kernel (map
// fds there, map indices here). Needs libbpf.so.1; loading needs root.
import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { PseudoLd } from "../../src/ebpf/opcode.ts";
import type { BpfObject } from "../../src/elf/bpf-object.ts";
import { loadObject } from "../../src/elf/load-object.ts";
import { attachTypeId } from "../../src/elf/prog-types.ts";
import { corpusObjects, fixturePath, KERNEL_REJECTED_REALWORLD, readFixture, realworld2Objects, realworldObjects, removeRealworld2Pins } from "./fixtures.ts";
import { oracleUnavailable, readWithLibbpf, type OracleObject } from "./libbpf-oracle.ts";
import { readFileSync } from "node:fs";

const unavailable = oracleUnavailable();
afterAll(removeRealworld2Pins);
if (unavailable) console.log(`skipping libbpf comparisons: ${unavailable}`);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log("skipping libbpf load comparisons: loading programs into the kernel needs root");

// libbpf 1.x objects among the fixtures (legacy_maps.o uses SEC("maps"), which libbpf 1.x refuses), the sample
// corpus, and the production-style objects, whose CO-RE relocations libbpf resolves against the running kernel's
// BTF on load: the instructions it sends must equal ours (compiled against a vmlinux.h of this kernel).
const objects = [
  ...["btf_maps.o", "global_data.o", "subprogs.o", "map_in_map.o", "multi_prog.o"].map(fixturePath),
  ...corpusObjects(),
  ...realworldObjects().filter((path) => basename(path) !== KERNEL_REJECTED_REALWORLD),
  ...realworld2Objects(),
];

// libbpf fills a perf event array's missing max_entries when it creates the map, not at open: one per possible CPU
// as /sys/devices/system/cpu/possible lists them ("0-3,8-11").
const PERF_EVENT_ARRAY = 4;
const possibleCpus = (): number =>
  readFileSync("/sys/devices/system/cpu/possible", "utf8").trim().split(",").reduce((n, range) => {
    const [first, last = first] = range.split("-").map(Number);
    return n + last - first + 1;
  }, 0);
const createdMaxEntries = (t: { type: number; maxEntries: number }): number => (t.type === PERF_EVENT_ARRAY && t.maxEntries === 0 ? possibleCpus() : t.maxEntries);

// libbpf names .data/.rodata/.bss maps "<object name prefix>.<section>"; custom .data.* sections keep their name.
const sameMapName = (ours: string, theirs: string): boolean => theirs === ours || (ours.startsWith(".") && theirs.endsWith(ours));

function translate(ours: readonly Insn[], obj: BpfObject, fds: readonly number[]): Insn[] {
  return ours.map((insn) => {
    if (insn.src === PseudoLd.MAP_IDX && insn.opcode === 0x18) return { ...insn, src: PseudoLd.MAP_FD, imm: fds[insn.imm] };
    if (insn.src === PseudoLd.MAP_IDX_VALUE && insn.opcode === 0x18) return { ...insn, src: PseudoLd.MAP_VALUE, imm: fds[insn.imm] };
    return insn;
  });
}

describe.skipIf(unavailable !== undefined)("loader agrees with libbpf", () => {
  for (const path of objects) {
    const name = basename(path);
    const ours = loadObject(new Uint8Array(readFileSync(path)), name);

    it(`${name}: programs, types and maps as bpf_object__open reads them`, () => {
      const theirs = readWithLibbpf(path, false);
      if (typeof theirs === "string") throw new Error(theirs);
      expect(ours.programs.map((p) => [p.name, p.section, p.typeId, p.expectedAttachType ? attachTypeId(p.expectedAttachType) : 0, p.autoload, p.ownInsnSlots])).toEqual(
        theirs.programs.map((p) => [p.name, p.section, p.type, p.expectedAttachType, p.autoload, p.insns.length]),
      );
      expect(ours.maps.length).toBe(theirs.maps.length);
      ours.maps.forEach((m, i) => {
        const t = theirs.maps[i];
        expect(sameMapName(m.name, t.name), `map ${i}: ours ${m.name}, libbpf ${t.name}`).toBe(true);
        expect([m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]).toEqual([t.type, t.keySize, t.valueSize, createdMaxEntries(t), t.flags]);
        if (t.inner) expect(m.inner && [m.inner.type, m.inner.keySize, m.inner.valueSize, m.inner.maxEntries]).toEqual([t.inner.type, t.inner.keySize, t.inner.valueSize, t.inner.maxEntries]);
      });
    });

    it.skipIf(!isRoot)(`${name}: linked instructions equal what bpf_object__load sent to the kernel`, (ctx) => {
      const theirs: OracleObject | string = readWithLibbpf(path, true);
      if (typeof theirs === "string") {
        console.log(`skipping ${name} load comparison: ${theirs}`);
        ctx.skip();
        return;
      }
      const fds = theirs.maps.map((m) => m.fd);
      for (const t of theirs.programs.filter((p) => p.autoload)) {
        const p = ours.programs.find((q) => q.name === t.name);
        expect(p, t.name).toBeDefined();
        if (p) expect(translate(p.insns, ours, fds)).toEqual(t.insns);
      }
    });
  }

  it("libbpf 1.x refuses legacy SEC(\"maps\") definitions, which we still read", () => {
    expect(readWithLibbpf(fixturePath("legacy_maps.o"), false)).toMatch(/could not open/);
    expect(loadObject(readFixture("legacy_maps.o"), "legacy_maps.o").maps.length).toBe(2);
  });
});
