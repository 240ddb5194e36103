// What instantiateObject asks of bpf(), seen through an injected syscall (no
// kernel needed): the attrs libbpf would fill for the same object. The fake
// kernel accepts everything and hands out fds from 100 on.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { MapCreateAttr, ProgLoadAttr } from "../../src/kernel/attr-layout.ts";
import { readCString } from "../../src/kernel/bpf-call.ts";
import { instantiateObject, KernelSession } from "../../src/kernel/index.ts";
import { kernelVersionCode } from "../../src/kernel/kernel-version.ts";
import { internalMapName, libbpfObjectName } from "../../src/kernel/map-names.ts";
import { prepareObjectBtf } from "../../src/kernel/object-btf.ts";
import { BpfCmd, ProgFlag } from "../../src/kernel/uapi.ts";
import { fakeNative, type FakeCall } from "./fake-native.ts";

const fixture = (path: string): string => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const u32At = (bytes: Uint8Array, offset: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);

function instantiateFaked(path: string): FakeCall[] {
  let nextFd = 100;
  const { native, calls } = fakeNative(() => ({ result: nextFd++, errno: 0 }));
  const session = KernelSession.open(native);
  instantiateObject(session, loadObject(new Uint8Array(readFileSync(path)), path));
  session.close();
  return calls;
}

const progLoads = (calls: readonly FakeCall[]) =>
  new Map(calls.filter((c) => c.cmd === BpfCmd.PROG_LOAD).map((c) => [readCString(c.attr.subarray(ProgLoadAttr.prog_name, ProgLoadAttr.prog_name + 16)), c.attr]));

describe("instantiateObject's bpf() attrs", () => {
  it("loads an xdp.frags program with BPF_F_XDP_HAS_FRAGS and a plain xdp one without (multi_prog.c)", () => {
    const loads = progLoads(instantiateFaked(fixture("elf/multi_prog.o")));
    expect(u32At(loads.get("xdp_frags_pass")!, ProgLoadAttr.prog_flags) & ProgFlag.XDP_HAS_FRAGS).toBe(ProgFlag.XDP_HAS_FRAGS);
    expect(u32At(loads.get("xdp_pass_all")!, ProgLoadAttr.prog_flags)).toBe(0);
  });

  it("passes the object's BTF with one func info record per function (realworld global_arg_unchecked: the program and mix)", () => {
    const path = fixture("realworld/global_arg_unchecked.o");
    const calls = instantiateFaked(path);
    const btfLoads = calls.filter((c) => c.cmd === BpfCmd.BTF_LOAD);
    // The feature probes come first (btf-features.ts: 8 of them), then the object's BTF.
    expect(btfLoads).toHaveLength(9);
    const objectBtfFd = 100 + calls.indexOf(btfLoads[8]);
    const load = progLoads(calls).get("xdp_global_unch")!;
    expect(u32At(load, ProgLoadAttr.prog_btf_fd)).toBe(objectBtfFd);
    expect(u32At(load, ProgLoadAttr.func_info_cnt)).toBe(2);
    // Line info: one 16-byte record per instruction .BTF.ext gives a line for.
    const program = loadObject(new Uint8Array(readFileSync(path)), path).programs[0];
    expect(u32At(load, ProgLoadAttr.line_info_rec_size)).toBe(16);
    expect(u32At(load, ProgLoadAttr.line_info_cnt)).toBe(new Set(program.lineInfo!.map((l) => l.pc)).size);
  });

  it("creates src_buckets with the object's BTF fd and its key and value type ids (ddos_scrubber.c)", () => {
    const path = fixture("realworld3/ddos_scrubber.o");
    const calls = instantiateFaked(path);
    const objectBtfFd = 100 + calls.findLastIndex((c) => c.cmd === BpfCmd.BTF_LOAD);
    const create = calls.find((c) => c.cmd === BpfCmd.MAP_CREATE && readCString(c.attr.subarray(MapCreateAttr.map_name, MapCreateAttr.map_name + 16)) === "src_buckets")!;
    const ids = prepareObjectBtf(new Uint8Array(readFileSync(path)), path)!.mapTypeIds.get("src_buckets")!;
    expect([MapCreateAttr.btf_fd, MapCreateAttr.btf_key_type_id, MapCreateAttr.btf_value_type_id].map((o) => u32At(create.attr, o))).toEqual([objectBtfFd, ids.keyTypeId, ids.valueTypeId]);
  });

  it("passes the object's version section as kern_version (legacy_maps.c)", () => {
    const path = fixture("elf/legacy_maps.o");
    // legacy_maps.c: _version SEC("version") = KERNEL_VERSION(5, 10, 0) = 5 << 16 | 10 << 8.
    const version = (5 << 16) | (10 << 8);
    for (const attr of progLoads(instantiateFaked(path)).values()) expect(u32At(attr, ProgLoadAttr.kern_version)).toBe(version);
  });

  it("passes the running kernel's version as kern_version when the object has no version section, as libbpf does", () => {
    const [major, minor, patch] = release().split(/[.-]/).map(Number);
    const expected = (major << 16) + (minor << 8) + Math.min(patch, 255);
    for (const attr of progLoads(instantiateFaked(fixture("elf/multi_prog.o"))).values()) expect(u32At(attr, ProgLoadAttr.kern_version)).toBe(expected);
  });
});

describe("kernelVersionCode", () => {
  it.each([
    ["6.18.44-fc-v669", (6 << 16) | (18 << 8) | 44],
    ["5.4.300", (5 << 16) | (4 << 8) | 255],
    ["6.8", 0],
    ["", 0],
  ])("reads %j as %i", (text, code) => expect(kernelVersionCode(text)).toBe(code));
});

describe("global data map names", () => {
  // `bpftool prog load programs/xdp_udp_guard.o` (libbpf) lists its maps as xdp_udp_.rodata and xdp_udp_.bss.
  it.each([
    ["xdp_udp_guard", ".rodata", "xdp_udp_.rodata"],
    ["xdp_udp_guard", ".bss", "xdp_udp_.bss"],
    ["global_data", ".data.table", ".data.table"],
    ["a", ".data", "a.data"],
    ["global_data", ".rodata.config", ".rodata.config"],
  ])("%s %s is %s in the kernel", (objectName, section, kernelName) => expect(internalMapName(objectName, section)).toBe(kernelName));

  it("takes the object's name from its file, up to the first '.'", () => {
    expect(libbpfObjectName("/x/y/xdp_udp_guard.o")).toBe("xdp_udp_guard");
    expect(libbpfObjectName("lb.v2.o")).toBe("lb");
  });

  it("creates xdp_udp_guard's global data maps under those names", () => {
    const names = instantiateFaked(new URL("../../programs/xdp_udp_guard.o", import.meta.url).pathname)
      .filter((c) => c.cmd === BpfCmd.MAP_CREATE)
      .map((c) => readCString(c.attr.subarray(MapCreateAttr.map_name, MapCreateAttr.map_name + 16)));
    expect(names.sort()).toEqual(["xdp_udp_.bss", "xdp_udp_.rodata"]);
  });
});

describe("a kernel without BTF", () => {
  it("still gets a spin-lock map created, without BTF, and instantiation goes on without the object's BTF", () => {
    let nextFd = 100;
    const { native, calls } = fakeNative((cmd) => (cmd === BpfCmd.BTF_LOAD ? { result: -1, errno: 22 } : { result: nextFd++, errno: 0 }));
    const session = KernelSession.open(native);
    const path = fixture("realworld3/ddos_scrubber.o");
    const instance = instantiateObject(session, loadObject(new Uint8Array(readFileSync(path)), path));
    session.close();
    expect(instance.btfProblem).toMatch(/BPF_BTF_LOAD/);
    const creates = calls.filter((c) => c.cmd === BpfCmd.MAP_CREATE);
    expect(creates.length).toBe(6);
    expect(creates.every((c) => u32At(c.attr, MapCreateAttr.btf_fd) === 0)).toBe(true);
    expect([...instance.verdicts.values()].every((v) => v.accepted)).toBe(true);
  });
});
