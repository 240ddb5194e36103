// What loadObject yields for each fixture, against facts read off the C
// sources by hand (struct layouts, declared attributes, call structure) and
// the kernel's numbering (enum bpf_map_type / bpf_prog_type, uapi flags).
import { describe, expect, it } from "vitest";
import type { Program } from "../../src/ebpf/instruction.ts";
import { Class, JmpOp, LDDW, PseudoCall, PseudoLd } from "../../src/ebpf/opcode.ts";
import type { BpfObject, BpfProgram } from "../../src/elf/bpf-object.ts";
import { loadObject } from "../../src/elf/load-object.ts";
import { MapType } from "../../src/maps/types.ts";
import { readFixture } from "./fixtures.ts";

const load = (name: string): BpfObject => loadObject(readFixture(name), name);
const program = (obj: BpfObject, name: string): BpfProgram => {
  const found = obj.programs.find((p) => p.name === name);
  if (!found) throw new Error(`no program ${name} in ${obj.fileName}`);
  return found;
};
const mapIndex = (obj: BpfObject, name: string): number => obj.maps.findIndex((m) => m.name === name);

// include/uapi/linux/bpf.h
const BPF_PROG_TYPE = { SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, XDP: 6 };
const BPF_F_NO_PREALLOC = 1;
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_MMAPABLE = 1 << 10;
const CALL = Class.JMP | JmpOp.CALL;

// The pcs a program's bpf-to-bpf calls and function-address loads land on.
function localTargets(insns: Program): number[] {
  const targets: number[] = [];
  insns.forEach((insn, pc) => {
    const isLocalCall = insn.opcode === CALL && insn.src === PseudoCall.LOCAL;
    const isFunctionAddress = insn.opcode === LDDW && insn.src === PseudoLd.FUNC;
    if (isLocalCall || isFunctionAddress) targets.push(pc + insn.imm + 1);
  });
  return targets;
}

describe("BTF-defined maps (btf_maps.c)", () => {
  const obj = load("btf_maps.o");

  it("reads each map's kind, sizes through typedefs, structs and arrays, and flags", () => {
    expect(obj.maps).toEqual([
      // struct flow_key: 4 + 4 + 2 + 2 + 1 bytes, padded to the 4-byte alignment of its u32s = 16.
      { name: "flows", type: MapType.HASH, keySize: 16, valueSize: 16, maxEntries: 1024, flags: BPF_F_NO_PREALLOC },
      // key: typedef of __u32; value: __u64[4].
      { name: "per_port", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 32, maxEntries: 64, flags: 0 },
      { name: "macs", type: MapType.LRU_HASH, keySize: 6, valueSize: 2, maxEntries: 4096, flags: 0, pinning: 1 },
      // 10000 bytes rounded up to a power-of-two number of 4 KiB pages: 4 pages.
      { name: "events", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 16384, flags: 0 },
    ]);
  });

  it("turns each map reference into BPF_PSEUDO_MAP_IDX with the map's index", () => {
    const p = program(obj, "count_flows");
    const referenced = p.insns.filter((i) => i.opcode === LDDW && i.src === PseudoLd.MAP_IDX).map((i) => obj.maps[i.imm].name);
    expect(referenced).toEqual(["flows", "per_port", "macs", "events"]);
    expect(obj.relocations.map((r) => [r.symbol, r.target])).toEqual(
      ["flows", "per_port", "macs", "events"].map((name) => [name, { kind: "map", mapIndex: mapIndex(obj, name), mapName: name }]),
    );
  });

  it("knows the program, its type and its license", () => {
    expect(obj.programs.map((p) => [p.name, p.section, p.type, p.typeId, p.expectedAttachType])).toEqual([
      ["count_flows", "xdp", "xdp", BPF_PROG_TYPE.XDP, "xdp"],
    ]);
    expect(obj.license).toBe("Dual BSD/GPL");
    expect(obj.kernelVersion).toBeUndefined();
  });
});

describe("legacy maps (legacy_maps.c)", () => {
  const obj = load("legacy_maps.o");

  it("reads struct bpf_map_def entries from SEC(\"maps\")", () => {
    expect(obj.maps).toEqual([
      { name: "rx_count", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
      { name: "blocked", type: MapType.HASH, keySize: 4, valueSize: 1, maxEntries: 256, flags: BPF_F_NO_PREALLOC },
    ]);
    const p = program(obj, "legacy_filter");
    expect(p.insns.filter((i) => i.opcode === LDDW && i.src === PseudoLd.MAP_IDX).map((i) => i.imm)).toEqual([0, 1]);
  });

  it("reads the version section and matches an old-style section name as libbpf 0.x did", () => {
    expect(obj.kernelVersion).toBe((5 << 16) + (10 << 8)); // KERNEL_VERSION(5, 10, 0)
    const p = program(obj, "legacy_filter");
    expect([p.section, p.type, p.sectionMatch]).toEqual(["xdp/legacy_filter", "xdp", "legacy-prefix"]);
    expect(obj.warnings.join("\n")).toContain("libbpf 1.x rejects this name");
  });
});

describe("global data (global_data.c)", () => {
  const obj = load("global_data.o");
  const le = (bytes: number[]) => new Uint8Array(bytes);

  it("makes one array map per data section, holding its initial bytes", () => {
    expect(obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries])).toEqual([
      [".data", MapType.ARRAY, 4, 12, 1], // packets_seen (u64) then hidden_state (u32)
      [".rodata", MapType.ARRAY, 4, 15, 1], // drop_port (u32) then the 11-byte "drop on %u"
      [".data.table", MapType.ARRAY, 4, 16, 1],
      [".rodata.config", MapType.ARRAY, 4, 1, 1],
      [".bss", MapType.ARRAY, 4, 8, 1],
    ]);
    const value = (name: string) => obj.maps[mapIndex(obj, name)].initialValue;
    expect(value(".data")).toEqual(le([7, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0]));
    expect(value(".rodata")).toEqual(new Uint8Array([53, 0, 0, 0, ...new TextEncoder().encode("drop on %u"), 0]));
    expect(value(".data.table")).toEqual(le([10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0, 0, 0]));
    expect(value(".rodata.config")).toEqual(le([2]));
    expect(value(".bss")).toEqual(new Uint8Array(8));
  });

  it("marks read-only data read-only for programs and frozen, and exposed globals mmap-able", () => {
    const flags = Object.fromEntries(obj.maps.map((m) => [m.name, m.flags]));
    expect(flags).toEqual({
      ".data": BPF_F_MMAPABLE,
      ".rodata": BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
      ".data.table": BPF_F_MMAPABLE,
      ".rodata.config": BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
      ".bss": BPF_F_MMAPABLE,
    });
    expect(obj.maps.filter((m) => m.frozen).map((m) => m.name)).toEqual([".rodata", ".rodata.config"]);
  });

  it("rewrites each variable access into a map-value load at the variable's offset", () => {
    const targets = obj.relocations.map((r) => [r.symbol, r.target.kind === "global-data" ? `${r.target.mapName}+${r.target.offsetBytes}` : r.target.kind]);
    expect(targets).toEqual([
      ["packets_seen", ".data+0"],
      [".data", ".data+8"], // static hidden_state, reached through the section symbol
      ["table", ".data.table+0"],
      ["mode", ".rodata.config+0"],
      ["bytes_seen", ".bss+0"],
      ["drop_port", ".rodata+0"],
      [".rodata", ".rodata+4"], // bpf_printk's format string
    ]);
    const p = program(obj, "use_globals");
    const loads = p.insns.flatMap((insn, pc) => (insn.opcode === LDDW && insn.src === PseudoLd.MAP_IDX_VALUE ? [`${obj.maps[insn.imm].name}+${p.insns[pc + 1].imm}`] : []));
    expect(loads).toEqual(targets.map(([, t]) => t));
  });
});

describe("several programs per object (multi_prog.c)", () => {
  const obj = load("multi_prog.o");

  it("finds every function of every program section, with the type libbpf infers", () => {
    expect(obj.programs.map((p) => [p.name, p.section, p.type, p.typeId, p.xdpFrags, p.autoload])).toEqual([
      ["xdp_pass_all", "xdp", "xdp", BPF_PROG_TYPE.XDP, false, true],
      ["xdp_drop_odd_queue", "xdp", "xdp", BPF_PROG_TYPE.XDP, false, true],
      ["xdp_frags_pass", "xdp.frags", "xdp", BPF_PROG_TYPE.XDP, true, true],
      ["tc_mark", "tc", "sched_cls", BPF_PROG_TYPE.SCHED_CLS, false, true],
      ["cls_ok", "classifier", "sched_cls", BPF_PROG_TYPE.SCHED_CLS, false, true],
      ["sock_keep", "socket", "socket_filter", BPF_PROG_TYPE.SOCKET_FILTER, false, true],
      ["probe_unlink", "kprobe/do_unlinkat", "kprobe", BPF_PROG_TYPE.KPROBE, false, true],
      ["xdp_not_autoloaded", "xdp", "xdp", BPF_PROG_TYPE.XDP, false, false],
    ]);
  });

  it("gives each program exactly its own instructions", () => {
    // xdp_pass_all is `r0 = XDP_PASS (2); exit`.
    expect(program(obj, "xdp_pass_all").insns).toEqual([
      { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
    expect(program(obj, "xdp_not_autoloaded").insns[0]).toEqual({ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }); // XDP_ABORTED
  });
});

describe("bpf-to-bpf calls (subprogs.c)", () => {
  const obj = load("subprogs.o");

  it("appends each reachable subprogram once, in depth-first order of first use", () => {
    expect(program(obj, "xdp_classify").functions.map((f) => f.name)).toEqual(["xdp_classify", "classify", "add_total", "global_helper"]);
    expect(program(obj, "xdp_sum").functions.map((f) => f.name)).toEqual(["xdp_sum", "loop_step", "add_total", "classify"]);
  });

  it("points every call and function address at the start of the right appended copy", () => {
    for (const p of obj.programs) {
      const starts = new Map(p.functions.map((f) => [f.startPc, f.name]));
      const called = localTargets(p.insns).map((pc) => starts.get(pc));
      expect(called.every((name) => name !== undefined)).toBe(true);
      expect(new Set(called)).toEqual(new Set(p.functions.slice(1).map((f) => f.name)));
    }
    const sum = program(obj, "xdp_sum");
    const address = sum.insns.findIndex((i) => i.opcode === LDDW && i.src === PseudoLd.FUNC);
    expect(sum.functions.find((f) => f.startPc === address + sum.insns[address].imm + 1)?.name).toBe("loop_step");
  });

  it("relocates map and global-data references inside appended subprograms too", () => {
    for (const p of obj.programs) {
      const addTotal = p.functions.find((f) => f.name === "add_total");
      if (!addTotal) throw new Error("add_total missing");
      const body = p.insns.slice(addTotal.startPc, addTotal.startPc + addTotal.slots);
      expect(body.filter((i) => i.opcode === LDDW && i.src === PseudoLd.MAP_IDX).map((i) => obj.maps[i.imm].name)).toEqual(["totals"]);
      expect(body.filter((i) => i.opcode === LDDW && i.src === PseudoLd.MAP_IDX_VALUE).map((i) => obj.maps[i.imm].name)).toEqual([".bss"]);
    }
  });

  it("keeps subprograms out of the program list", () => {
    expect(obj.programs.map((p) => p.name)).toEqual(["xdp_classify", "xdp_sum"]);
  });
});

describe("maps of maps (map_in_map.c)", () => {
  const obj = load("map_in_map.o");

  it("reads the inner map definition of array- and hash-of-maps, and prog arrays", () => {
    expect(obj.maps).toEqual([
      { name: "first_inner", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
      {
        name: "per_queue", type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0,
        inner: { name: "per_queue.inner", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
      },
      {
        name: "per_tenant", type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 32, flags: 0,
        inner: { name: "per_tenant.inner", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 128, flags: 0 },
      },
      { name: "jump_table", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 },
    ]);
  });
});

describe("big-endian objects (clang -target bpfeb)", () => {
  for (const name of ["btf_maps", "global_data", "subprogs", "legacy_maps"]) {
    it(`${name}.eb.o loads to the same programs and maps as ${name}.o`, () => {
      const little = load(`${name}.o`);
      const big = load(`${name}.eb.o`);
      expect(big.littleEndian).toBe(false);
      expect(big.programs.map(({ lineInfo, ...p }) => ({ ...p, lines: lineInfo?.map((l) => [l.pc, l.line]) }))).toEqual(
        little.programs.map(({ lineInfo, ...p }) => ({ ...p, lines: lineInfo?.map((l) => [l.pc, l.line]) })),
      );
      expect(big.maps.map(({ initialValue, ...m }) => ({ ...m, bytes: initialValue?.length }))).toEqual(
        little.maps.map(({ initialValue, ...m }) => ({ ...m, bytes: initialValue?.length })),
      );
      expect(big.kernelVersion).toBe(little.kernelVersion);
    });
  }

  it("keeps global data in the object's byte order", () => {
    const data = load("global_data.eb.o").maps.find((m) => m.name === ".data");
    expect(data?.initialValue).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0x12, 0x34]));
  });
});

describe("kernel symbols (externs.c)", () => {
  const obj = load("externs.o");
  const p = program(obj, "uses_kernel_symbols");

  it("lists kfunc calls and __ksym loads as unresolved externs at their pcs", () => {
    expect(p.externs).toEqual([
      { kind: "kfunc", name: "bpf_rcu_read_lock", pc: 0 },
      { kind: "ksym", name: "bpf_prog_active", pc: 1 },
      { kind: "kfunc", name: "bpf_rcu_read_unlock", pc: 10 },
    ]);
  });

  it("marks kfunc calls BPF_PSEUDO_KFUNC_CALL and leaves helper calls alone", () => {
    const calls = p.insns.filter((i) => i.opcode === CALL).map((i) => [i.src, i.imm]);
    // clang writes kfunc calls as `call -1`; bpf_this_cpu_ptr is helper 154.
    expect(calls).toEqual([[PseudoCall.KFUNC, -1], [PseudoCall.HELPER, 154], [PseudoCall.KFUNC, -1]]);
  });
});
