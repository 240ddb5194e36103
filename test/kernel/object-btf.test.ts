// An object's own BTF as libbpf hands it to the kernel, and maps created with
// it. Expectations come from llvm-objdump (section sizes, symbol values), the
// C sources (which struct a map's value is) and the kernel's own account of
// each map (BPF_OBJ_GET_INFO_BY_FD: btf_id, btf_key_type_id, btf_value_type_id).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBtf, type Btf } from "../../src/elf/btf.ts";
import { region } from "../../src/elf/byte-region.ts";
import { contents, readElf } from "../../src/elf/elf-file.ts";
import { slice } from "../../src/elf/byte-region.ts";
import { loadObject } from "../../src/elf/index.ts";
import { instantiateObject, KernelError, withKernel, type KernelSession } from "../../src/kernel/index.ts";
import { prepareObjectBtf } from "../../src/kernel/object-btf.ts";
import { MapType } from "../../src/maps/types.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const fixture = (path: string): string => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const scrubber = fixture("realworld3/ddos_scrubber.o");
const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
const blobBtf = (blob: Uint8Array): Btf => readBtf(region("blob", blob, 0, blob.length, ".BTF", true));
const typeNamed = (btf: Btf, kind: string, name: string) => btf.types.find((t) => t.kind === kind && t.name === name)!;

const objdumpMissing = spawnSync("llvm-objdump", ["--version"]).error !== undefined;
if (objdumpMissing) console.warn("\n*** object-btf: llvm-objdump is missing, SKIPPING the comparison with its section sizes and symbols ***\n");
const clangMissing = spawnSync("clang", ["--version"]).error !== undefined;
if (clangMissing) console.warn("\n*** object-btf: clang is missing, SKIPPING the hidden-variable object ***\n");

// An object compiled here: a hidden and a visible global variable, and two programs each calling a
// global subprogram that dereferences its pointer argument unchecked, one of them hidden.
const hidden = { dir: "", object: "" };
beforeAll(() => {
  if (clangMissing) return;
  hidden.dir = mkdtempSync(join(tmpdir(), "object-btf-"));
  const source = join(hidden.dir, "hidden.c");
  writeFileSync(
    source,
    [
      "#include <linux/bpf.h>",
      "#include <bpf/bpf_helpers.h>",
      "struct pair { __u32 a; __u32 b; };",
      '__attribute__((visibility("hidden"))) __u64 quiet_count = 1;',
      "__u64 loud_count = 2;",
      '__attribute__((visibility("hidden"))) __noinline __u32 mix_hidden(struct pair *p) { return p->a ^ p->b; }',
      "__noinline __u32 mix_global(struct pair *p) { return p->a ^ p->b; }",
      'SEC("xdp") int calls_hidden(struct xdp_md *ctx) { struct pair p = { ctx->rx_queue_index, 1 }; quiet_count++; return mix_hidden(&p) == 7 ? XDP_DROP : XDP_PASS; }',
      'SEC("xdp") int calls_global(struct xdp_md *ctx) { struct pair p = { ctx->rx_queue_index, 1 }; loud_count++; return mix_global(&p) == 7 ? XDP_DROP : XDP_PASS; }',
      'char LICENSE[] SEC("license") = "GPL";',
    ].join("\n"),
  );
  hidden.object = join(hidden.dir, "hidden.o");
  execFileSync("clang", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", hidden.object]);
});
afterAll(() => {
  if (hidden.dir !== "") rmSync(hidden.dir, { recursive: true, force: true });
});

describe("prepareObjectBtf", () => {
  it.skipIf(objdumpMissing)("gives DATASEC .maps the section's size and each map variable its symbol's offset, sorted (llvm-objdump)", () => {
    const headers = execFileSync("llvm-objdump", ["-h", scrubber], { encoding: "utf8" });
    const mapsBytes = parseInt(/\s\.maps\s+([0-9a-f]+)\s/.exec(headers)![1], 16);
    const symbols = execFileSync("llvm-objdump", ["-t", scrubber], { encoding: "utf8" })
      .split("\n")
      .map((line) => /^([0-9a-f]{16}) g\s+O \.maps\s+[0-9a-f]+ (\w+)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => ({ name: m[2], offset: parseInt(m[1], 16) }))
      .sort((a, b) => a.offset - b.offset);
    expect(symbols).toHaveLength(6);
    const btf = blobBtf(prepareObjectBtf(bytesOf(scrubber), scrubber)!.blob);
    const datasec = typeNamed(btf, "datasec", ".maps");
    expect(datasec.sizeOrType).toBe(mapsBytes);
    expect(datasec.secinfos!.map((info) => ({ name: btf.types[info.type].name, offset: info.offset }))).toEqual(symbols);
  });

  it("leaves the rest of the section as clang wrote it", () => {
    const elf = readElf(bytesOf(scrubber), scrubber);
    const raw = slice(contents(elf, elf.sections.find((s) => s.name === ".BTF")!));
    const fixed = prepareObjectBtf(bytesOf(scrubber), scrubber)!.blob;
    expect(fixed.length).toBe(raw.length);
    // The string table (the section's tail) is untouched.
    const strings = blobBtf(fixed).strings;
    expect(fixed.subarray(strings.start)).toEqual(raw.subarray(strings.start));
  });

  it("takes a .maps map's key and value types from what its key and value members point to", () => {
    const prepared = prepareObjectBtf(bytesOf(scrubber), scrubber)!;
    const btf = blobBtf(prepared.blob);
    // ddos_scrubber.c: src_buckets is __type(key, __u32), __type(value, struct bucket).
    expect(prepared.mapTypeIds.get("src_buckets")).toEqual({ keyTypeId: typeNamed(btf, "typedef", "__u32").id, valueTypeId: typeNamed(btf, "struct", "bucket").id });
    // allowed_flows: struct allow_key -> __u64.
    expect(prepared.mapTypeIds.get("allowed_flows")).toEqual({ keyTypeId: typeNamed(btf, "struct", "allow_key").id, valueTypeId: typeNamed(btf, "typedef", "__u64").id });
  });

  it("gives an inner map template the types of the struct its outer map's values point to", () => {
    const path = fixture("elf/map_in_map.o");
    const prepared = prepareObjectBtf(bytesOf(path), path)!;
    const btf = blobBtf(prepared.blob);
    // map_in_map.c: per_queue's values are struct inner_counts, __type(key, __u32), __type(value, __u64).
    expect(prepared.mapTypeIds.get("per_queue.inner")).toEqual({ keyTypeId: typeNamed(btf, "typedef", "__u32").id, valueTypeId: typeNamed(btf, "typedef", "__u64").id });
    // per_tenant's inner map gives only sizes, so no types.
    expect(prepared.mapTypeIds.get("per_tenant.inner")).toEqual({ keyTypeId: 0, valueTypeId: 0 });
    // The names are the ones src/elf gives the inner definitions.
    const inners = loadObject(bytesOf(path), basename(path)).maps.flatMap((def) => (def.inner ? [def.inner.name] : []));
    expect(inners.sort()).toEqual(["per_queue.inner", "per_tenant.inner"]);
  });

  it("gives global data maps no key type and their DATASEC as value type", () => {
    const path = fixture("elf/global_data.o");
    const prepared = prepareObjectBtf(bytesOf(path), path)!;
    const btf = blobBtf(prepared.blob);
    for (const section of [".data", ".bss", ".rodata", ".data.table", ".rodata.config"]) {
      expect(prepared.mapTypeIds.get(section), section).toEqual({ keyTypeId: 0, valueTypeId: typeNamed(btf, "datasec", section).id });
    }
  });

  it("turns .ksyms into 4-byte slots: the kfunc a global FUNC whose slot is a dummy_ksym VAR, the variable an allocated int", () => {
    const path = fixture("elf/externs.o");
    const btf = blobBtf(prepareObjectBtf(bytesOf(path), path)!.blob);
    // externs.c declares bpf_rcu_read_lock, bpf_rcu_read_unlock (kfuncs) and bpf_prog_active (a const int), in that order.
    const ksyms = typeNamed(btf, "datasec", ".ksyms");
    expect(ksyms.sizeOrType).toBe(12);
    const dummy = typeNamed(btf, "var", "dummy_ksym");
    expect(ksyms.secinfos!.map((info) => [btf.types[info.type].name, info.offset, info.size])).toEqual([
      ["dummy_ksym", 0, 4],
      ["dummy_ksym", 4, 4],
      ["bpf_prog_active", 8, 4],
    ]);
    expect(dummy.linkage).toBe(1);
    expect(typeNamed(btf, "func", "bpf_rcu_read_lock").vlen).toBe(1);
    const active = typeNamed(btf, "var", "bpf_prog_active");
    expect(active.linkage).toBe(1);
    for (const v of [active, dummy]) expect(btf.types[v.sizeOrType]).toMatchObject({ kind: "int", sizeOrType: 4 });
  });

  it.skipIf(clangMissing)("makes a hidden global variable's VAR static and leaves the other global (libbpf btf_fixup_datasec)", () => {
    const btf = blobBtf(prepareObjectBtf(bytesOf(hidden.object), hidden.object)!.blob);
    const STATIC = 0;
    const GLOBAL_ALLOCATED = 1;
    expect(typeNamed(btf, "var", "quiet_count").linkage).toBe(STATIC);
    expect(typeNamed(btf, "var", "loud_count").linkage).toBe(GLOBAL_ALLOCATED);
  });

  it.skipIf(clangMissing)("makes a hidden global subprogram's FUNC static and leaves the other global (libbpf mark_btf_static)", () => {
    const btf = blobBtf(prepareObjectBtf(bytesOf(hidden.object), hidden.object)!.blob);
    // A FUNC's vlen is its linkage: 0 static, 1 global (include/uapi/linux/btf.h).
    expect(typeNamed(btf, "func", "mix_hidden").vlen).toBe(0);
    expect(typeNamed(btf, "func", "mix_global").vlen).toBe(1);
  });
});

describe.skipIf(!kernelAvailable)("maps created with the object's BTF, in the kernel", () => {
  const scrubberObject = () => loadObject(bytesOf(scrubber), scrubber);

  it("refuses the .BTF section as clang wrote it (DATASEC size 0) and accepts it fixed up", async () => {
    const elf = readElf(bytesOf(scrubber), scrubber);
    const raw = slice(contents(elf, elf.sections.find((s) => s.name === ".BTF")!)).slice();
    await withKernel((k) => {
      expect(() => k.loadBtf(raw)).toThrow(KernelError);
      k.release(k.loadBtf(prepareObjectBtf(bytesOf(scrubber), scrubber)!.blob));
    });
  });

  it("loads scrub, whose src_buckets value holds a bpf_spin_lock, with src_buckets created with key and value types", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, scrubberObject(), { objectBytes: bytesOf(scrubber) });
      expect(instance.btfProblem).toBeUndefined();
      const verdict = instance.verdicts.get("scrub")!;
      expect(verdict.accepted ? "accepted" : verdict.error.message).toBe("accepted");
      const btf = blobBtf(prepareObjectBtf(bytesOf(scrubber), scrubber)!.blob);
      const info = k.mapInfo(mapNamed(k, instance, "src_buckets"));
      expect(info.btfId).toBeGreaterThan(0);
      expect([info.btfKeyTypeId, info.btfValueTypeId]).toEqual([typeNamed(btf, "typedef", "__u32").id, typeNamed(btf, "struct", "bucket").id]);
      // libbpf creates a ring buffer without BTF.
      const samples = k.mapInfo(mapNamed(k, instance, "samples"));
      expect(samples.type).toBe(MapType.RINGBUF);
      expect(samples.btfId).toBe(0);
    });
  });

  it("finds the object file by its name when no bytes are given (the CLI loads objects by path)", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, scrubberObject());
      expect(instance.btfProblem).toBeUndefined();
      expect(instance.verdicts.get("scrub")!.accepted).toBe(true);
    });
  });

  it("without the object's BTF, says why, and gives src_buckets BTF made from its definition's lock offset", async () => {
    await withKernel((k) => {
      const unreadable = { ...scrubberObject(), fileName: "no/such/dir/ddos_scrubber.o" };
      const instance = instantiateObject(k, unreadable);
      expect(instance.btfProblem).toMatch(/could not be read/);
      expect(k.mapInfo(mapNamed(k, instance, "src_buckets")).btfId).toBeGreaterThan(0);
      expect(instance.verdicts.get("scrub")!.accepted).toBe(true);
    });
  });

  it("does not take the BTF of another file found under the object's name", async () => {
    await withKernel((k) => {
      const renamed = { ...scrubberObject(), fileName: fixture("realworld3/dns_guard.o") };
      const instance = instantiateObject(k, renamed);
      expect(instance.btfProblem).toMatch(/no longer the file the object was loaded from/);
      expect(k.mapInfo(mapNamed(k, instance, "limits")).btfId).toBe(0);
    });
  });

  it("without any BTF for src_buckets, the kernel refuses scrub for want of it", async () => {
    await withKernel((k) => {
      const object = scrubberObject();
      const lockless = { ...object, fileName: "no/such/dir/ddos_scrubber.o", maps: object.maps.map(({ spinLockOffsetBytes: _, ...def }) => def) };
      const instance = instantiateObject(k, lockless);
      expect(k.mapInfo(mapNamed(k, instance, "src_buckets")).btfId).toBe(0);
      const verdict = instance.verdicts.get("scrub")!;
      expect(verdict.accepted).toBe(false);
      if (!verdict.accepted) expect(verdict.error.verifierLog).toMatch(/has to have BTF in order to use bpf_spin_lock/);
    });
  });

  it("creates a map without BTF when the kernel refuses the types given (a 4-byte type for a 32-byte value)", async () => {
    await withKernel((k) => {
      const prepared = prepareObjectBtf(bytesOf(scrubber), scrubber)!;
      const handle = k.loadBtf(prepared.blob);
      const u32Id = typeNamed(blobBtf(prepared.blob), "typedef", "__u32").id;
      const def = { name: "wrong_types", type: MapType.HASH, keySize: 4, valueSize: 32, maxEntries: 4, flags: 0 };
      const map = k.createMap(def, { btf: { handle, funcTypeIds: new Map(), stringOffsets: new Map(), mapTypeIds: new Map([["wrong_types", { keyTypeId: u32Id, valueTypeId: u32Id }]]) } });
      expect(k.mapInfo(map).btfId).toBe(0);
      const right = k.createMap({ ...def, name: "right_types" }, { btf: { handle, funcTypeIds: new Map(), stringOffsets: new Map(), mapTypeIds: new Map([["right_types", prepared.mapTypeIds.get("src_buckets")!]]) } });
      expect(k.mapInfo(right).btfId).toBeGreaterThan(0);
    });
  });

  it("loads programs with the object's func info, so a global subprogram is verified on its own and refused as libbpf sees it", async () => {
    // global_arg_unchecked.c: mix() dereferences its argument unchecked; the kernel rejects the object
    // ("R1 invalid mem access 'mem_or_null'"), which is why it is kept as a rejected fixture.
    const path = fixture("realworld/global_arg_unchecked.o");
    await withKernel((k) => {
      const verdict = instantiateObject(k, loadObject(bytesOf(path), path), { objectBytes: bytesOf(path) }).verdicts.get("xdp_global_unchecked")!;
      expect(verdict.accepted).toBe(false);
      if (!verdict.accepted) expect(verdict.error.message).toMatch(/invalid mem access 'mem_or_null'/);
    });
  });

  it.skipIf(clangMissing)("verifies a hidden global subprogram in its caller's context, as libbpf has the kernel do", async () => {
    await withKernel((k) => {
      const instance = instantiateObject(k, loadObject(bytesOf(hidden.object), hidden.object), { objectBytes: bytesOf(hidden.object) });
      const calledHidden = instance.verdicts.get("calls_hidden")!;
      expect(calledHidden.accepted ? "accepted" : calledHidden.error.message).toBe("accepted");
      if (calledHidden.accepted) expect(k.programInfo(calledHidden.program).btfId).toBeGreaterThan(0);
      const calledGlobal = instance.verdicts.get("calls_global")!;
      expect(calledGlobal.accepted).toBe(false);
      if (!calledGlobal.accepted) {
        expect(calledGlobal.error.message).toMatch(/invalid mem access 'mem_or_null'/);
        // Line info from .BTF.ext: the log names the C line that faulted, with its text (hidden.c line 7).
        expect(calledGlobal.error.verifierLog).toMatch(/^; __noinline __u32 mix_global\(struct pair \*p\) \{ return p->a \^ p->b; \} @ hidden\.c:7$/m);
      }
    });
  });

  it("loads an object's BTF whose .ksyms lists a kfunc and a __ksym variable, once rewritten as libbpf does", async () => {
    const path = fixture("elf/externs.o");
    const elf = readElf(bytesOf(path), path);
    const raw = slice(contents(elf, elf.sections.find((s) => s.name === ".BTF")!)).slice();
    await withKernel((k) => {
      // As clang wrote it: "[9] FUNC bpf_rcu_read_lock type_id=8 Invalid func linkage".
      expect(() => k.loadBtf(raw)).toThrow(/Invalid func linkage/);
      const instance = instantiateObject(k, loadObject(bytesOf(path), path), { objectBytes: bytesOf(path) });
      expect(instance.btfProblem).toBeUndefined();
    });
  });

  it("says why when the object's BTF is unreadable, and creates the maps without it", async () => {
    const corrupted = bytesOf(scrubber);
    const btfSection = readElf(corrupted, scrubber).sections.find((s) => s.name === ".BTF")!;
    corrupted[btfSection.offset] = 0;
    await withKernel((k) => {
      const instance = instantiateObject(k, scrubberObject(), { objectBytes: corrupted });
      expect(instance.btfProblem).toMatch(/BTF magic/);
      // limits holds no lock, so it goes without BTF.
      expect(k.mapInfo(mapNamed(k, instance, "limits")).btfId).toBe(0);
    });
  });
});

function mapNamed(_k: KernelSession, instance: { object: { maps: readonly { name: string }[] }; maps: readonly import("../../src/kernel/index.ts").KernelMap[] }, name: string) {
  return instance.maps[instance.object.maps.findIndex((def) => def.name === name)];
}
