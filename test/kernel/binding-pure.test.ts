// The parts of the kernel binding that need no kernel: instruction image and
// map-fd patching, CPU lists, capability checks, errno names, object names,
// the synthetic func BTF and per-CPU value shapes.
import { describe, expect, it } from "vitest";
import { LDDW, PseudoLd } from "../../src/ebpf/opcode.ts";
import { insn } from "../../src/ebpf/instruction.ts";
import { readBtf } from "../../src/elf/btf.ts";
import { region } from "../../src/elf/byte-region.ts";
import { OffloadSimError } from "../../src/errors.ts";
import { MapType } from "../../src/maps/types.ts";
import { missingCapabilities } from "../../src/kernel/availability.ts";
import { kernelObjectName } from "../../src/kernel/bpf-call.ts";
import { staticFuncBtf } from "../../src/kernel/func-btf.ts";
import { errnoName, KernelError, verifierVerdictLine } from "../../src/kernel/kernel-error.ts";
import { valueShape } from "../../src/kernel/map-commands.ts";
import { countCpuList } from "../../src/kernel/possible-cpus.ts";
import { programImage } from "../../src/kernel/program-image.ts";
import { exit, ldMap, ldMapValue, movImm } from "./hand-asm.ts";

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

describe("programImage", () => {
  it("encodes r0 = 2; exit as the kernel's 8-byte slots", () => {
    // b7 = ALU64|MOV|K, dst r0; 95 = JMP|EXIT (RFC 9669 encoding, little-endian imm).
    expect(hex(programImage([movImm(0, 2), exit()], []))).toBe("b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00");
  });

  it("turns a map index into that map's fd with src BPF_PSEUDO_MAP_FD", () => {
    const image = programImage([...ldMap(1, 1), exit()], [7, 42]);
    // 18 = LD|IMM|DW; 0x11 = src 1 (MAP_FD) << 4 | dst 1; imm = 42 = 0x2a.
    expect(hex(image.subarray(0, 16))).toBe("18 11 00 00 2a 00 00 00 00 00 00 00 00 00 00 00");
  });

  it("turns a map value index into BPF_PSEUDO_MAP_VALUE and keeps the offset in the second slot", () => {
    const image = programImage([...ldMapValue(2, 0, 12), exit()], [9]);
    // 0x22 = src 2 (MAP_VALUE) << 4 | dst 2; imm 9; second slot imm 12 = 0x0c.
    expect(hex(image.subarray(0, 16))).toBe("18 22 00 00 09 00 00 00 00 00 00 00 0c 00 00 00");
  });

  it("leaves loads that already carry an fd alone", () => {
    const image = programImage([insn(LDDW, 1, PseudoLd.MAP_FD, 0, 5), insn(0), exit()], []);
    expect(hex(image.subarray(0, 8))).toBe("18 11 00 00 05 00 00 00");
  });

  it("names the instruction when a map index has no fd", () => {
    expect(() => programImage([movImm(0, 0), ...ldMap(1, 3), exit()], [4])).toThrow(/instruction 1 loads map #3, but only 1 map fd/);
  });
});

describe("countCpuList", () => {
  it.each([
    ["0", 1],
    ["0-1\n", 2],
    ["0-3,8,10-11", 7],
  ])("counts %j as %i CPUs", (list, count) => {
    expect(countCpuList(list)).toBe(count);
  });

  it.each(["", "a-b", "3-1", "0,,1"])("rejects %j with a sentence", (list) => {
    expect(() => countCpuList(list)).toThrow(OffloadSimError);
  });
});

describe("missingCapabilities", () => {
  const status = (capEff: string): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`;
  // Bits: CAP_NET_ADMIN 12 = 0x1000, CAP_SYS_ADMIN 21 = 0x200000, CAP_BPF 39 = 0x8000000000.
  it("accepts CAP_SYS_ADMIN alone", () => expect(missingCapabilities(status("0000000000200000"))).toBeUndefined());
  it("accepts CAP_BPF with CAP_NET_ADMIN", () => expect(missingCapabilities(status("0000008000001000"))).toBeUndefined());
  it("refuses CAP_BPF without CAP_NET_ADMIN", () => expect(missingCapabilities(status("0000008000000000"))).toMatch(/CAP_BPF/));
  it("refuses an empty set", () => expect(missingCapabilities(status("0000000000000000"))).toMatch(/run as root/));
  it("says so when CapEff is missing", () => expect(missingCapabilities("Name:\tnode\n")).toMatch(/cannot read CapEff/));
});

describe("errno names and kernel errors", () => {
  it.each([
    [1, "EPERM"],
    [7, "E2BIG"],
    [13, "EACCES"],
    [22, "EINVAL"],
    [28, "ENOSPC"],
    [95, "EOPNOTSUPP"],
    [524, "ENOTSUPP"],
    [100000, "errno 100000"],
  ])("names errno %i %s", (errno, name) => expect(errnoName(errno)).toBe(name));

  it("puts the verifier's verdict line, not its statistics, in the message", () => {
    const log = "0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0\n";
    expect(verifierVerdictLine(log)).toBe("R0 !read_ok");
    const error = new KernelError({ command: "BPF_PROG_LOAD", object: "program 'x'", errno: 13, verifierLog: log });
    expect(error).toBeInstanceOf(OffloadSimError);
    expect(error.message).toBe("bpf(BPF_PROG_LOAD) of program 'x' failed with EACCES: R0 !read_ok.");
    expect(error.errnoName).toBe("EACCES");
    expect(error.verifierLog).toBe(log);
  });
});

describe("kernelObjectName", () => {
  it("keeps letters, digits, '_' and '.'", () => expect(kernelObjectName("xdp_prog.rodata")).toBe("xdp_prog.rodata"));
  it("replaces other characters with '_'", () => expect(kernelObjectName("my-map:1")).toBe("my_map_1"));
  it("keeps at most 15 bytes (char[16] with its NUL)", () => expect(kernelObjectName("a_very_long_map_name")).toBe("a_very_long_map"));
});

describe("valueShape", () => {
  it("moves one value for a shared map", () => {
    const shape = valueShape({ name: "h", type: MapType.HASH, keySize: 4, valueSize: 12, maxEntries: 1, flags: 0 }, 4);
    expect(shape).toMatchObject({ perCpu: false, slots: 1, syscallValueBytes: 12 });
  });

  it("moves round_up(value_size, 8) bytes per possible CPU for a per-CPU map", () => {
    const shape = valueShape({ name: "p", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 1, flags: 0 }, 3);
    expect(shape).toMatchObject({ perCpu: true, slotStride: 16, slots: 3, syscallValueBytes: 48 });
  });
});

describe("staticFuncBtf", () => {
  it("describes each function as a FUNC of prototype int (void *ctx), the entry global", () => {
    const { blob, funcInfo } = staticFuncBtf([
      { name: "sub", startPc: 2 },
      { name: "main", startPc: 0 },
    ]);
    const btf = readBtf(region("synthetic", blob, 0, blob.length, ".BTF", true));
    const funcs = btf.types.filter((t) => t.kind === "func");
    expect(funcs.map((f) => [f.name, f.vlen])).toEqual([
      ["main", 1],
      ["sub", 0],
    ]);
    const proto = btf.types[funcs[0].sizeOrType];
    expect(proto.kind).toBe("func_proto");
    expect(btf.types[proto.sizeOrType]).toMatchObject({ kind: "int", name: "int" });
    expect(funcInfo).toEqual([
      { insnOff: 0, typeId: funcs[0].id },
      { insnOff: 2, typeId: funcs[1].id },
    ]);
  });
});
