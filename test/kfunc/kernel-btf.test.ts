// Finding kfuncs and __ksym variables in a kernel BTF by name.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatInspect, inspectObject } from "../../src/elf/inspect.ts";
import { KernelBtfError, readKernelBtf, requireKfunc } from "../../src/elf/kernel-btf.ts";
import { loadObject } from "../../src/elf/load-object.ts";
import { readFileSync } from "node:fs";
import { bpftoolAvailable, bpftoolKernelId, clangAvailable, compileFixture, kernelBtfAvailable } from "./fixtures.ts";

// A BTF blob written by hand (include/uapi/linux/btf.h layout), little-endian:
//   [1] INT 'unsigned int' size 4   [2] TYPEDEF 'u32' -> 1   [3] CONST -> 2   [4] PTR -> 3
//   [5] STRUCT 'pkt' size 12, no members   [6] PTR -> 5
//   [7] FUNC_PROTO returns 6 (len__sz: 2, src: 4)   [8] FUNC 'kf' -> 7   [9] VAR 'counter' -> 2
function handBtf(): Uint8Array {
  const strings = ["", "unsigned int", "u32", "pkt", "len__sz", "src", "kf", "counter"];
  const offsets = new Map<string, number>();
  let at = 0;
  for (const s of strings) {
    offsets.set(s, at);
    at += s.length + 1;
  }
  const name = (s: string): number => offsets.get(s) ?? 0;
  const info = (kind: number, vlen = 0): number => ((kind << 24) | vlen) >>> 0;
  const words = [
    name("unsigned int"), info(1), 4, 32,
    name("u32"), info(8), 1,
    0, info(10), 2,
    0, info(2), 3,
    name("pkt"), info(4), 12,
    0, info(2), 5,
    0, info(13, 2), 6, name("len__sz"), 2, name("src"), 4,
    name("kf"), info(12), 7,
    name("counter"), info(14), 2, 1,
  ];
  const typeBytes = words.length * 4;
  const stringBytes = at;
  const out = new DataView(new ArrayBuffer(24 + typeBytes + stringBytes));
  out.setUint16(0, 0xeb9f, true);
  out.setUint8(2, 1);
  out.setUint32(4, 24, true);
  out.setUint32(8, 0, true);
  out.setUint32(12, typeBytes, true);
  out.setUint32(16, typeBytes, true);
  out.setUint32(20, stringBytes, true);
  words.forEach((w, i) => out.setUint32(24 + i * 4, w, true));
  const bytes = new Uint8Array(out.buffer);
  let s = 24 + typeBytes;
  for (const text of strings) {
    bytes.set(new TextEncoder().encode(text), s);
    s += text.length + 1;
  }
  return bytes;
}

describe("a kernel BTF in a file", () => {
  const path = join(mkdtempSync(join(tmpdir(), "kbtf-")), "hand.btf");
  writeFileSync(path, handBtf());

  it("gives a kfunc's FUNC id and its prototype with typedefs and qualifiers followed", () => {
    const kf = requireKfunc(readKernelBtf(path), "kf");
    expect(kf.btfId).toBe(8);
    expect(kf.prototype).toBe("struct pkt *kf(u32 len__sz, const u32 *src)");
    expect(kf.params.map((p) => p.type)).toEqual([
      { kind: "int", bytes: 4, signed: false },
      { kind: "pointer", pointee: { kind: "int", bytes: 4, signed: false } },
    ]);
    expect(kf.returns).toEqual({ kind: "pointer", pointee: { kind: "struct", btfId: 5, name: "pkt", bytes: 12 } });
  });

  it("gives a variable's VAR id and type", () => {
    expect(readKernelBtf(path).findVar("counter")).toMatchObject({ btfId: 9, typeText: "u32", type: { kind: "int", bytes: 4 } });
  });

  it("names the kfunc and the file when the name is missing", () => {
    expect(() => requireKfunc(readKernelBtf(path), "bpf_nothing")).toThrow(`kfunc bpf_nothing is not in the kernel BTF at ${path}`);
  });

  it("says so in one sentence when the file does not exist", () => {
    expect(() => readKernelBtf("/nonexistent/vmlinux")).toThrow(KernelBtfError);
    expect(() => readKernelBtf("/nonexistent/vmlinux")).toThrow(/^no kernel BTF at \/nonexistent\/vmlinux/);
  });
});

describe.runIf(kernelBtfAvailable && bpftoolAvailable)("the running kernel's BTF", () => {
  const names = ["bpf_xdp_metadata_rx_hash", "bpf_xdp_ct_lookup", "bpf_ct_release", "bpf_xdp_ct_alloc", "bpf_rcu_read_lock", "bpf_dynptr_from_xdp"];
  for (const name of names) {
    it(`${name} has the id bpftool reads`, () => {
      const expected = bpftoolKernelId("FUNC", name);
      if (expected === undefined) return void console.warn(`*** ${name} is not in this kernel (bpftool); nothing to compare ***`);
      expect(readKernelBtf().findFunc(name)?.btfId).toBe(expected);
    });
  }

  it("bpf_xdp_ct_lookup has the prototype of net/netfilter/nf_conntrack_bpf.c", () => {
    const kf = readKernelBtf().findFunc("bpf_xdp_ct_lookup");
    expect(kf?.params.map((p) => p.name)).toEqual(["xdp_ctx", "bpf_tuple", "tuple__sz", "opts", "opts__sz"]);
    expect(kf?.params[0].type).toMatchObject({ kind: "pointer", pointee: { kind: "struct", name: "xdp_md" } });
    expect(kf?.params[2].type).toEqual({ kind: "int", bytes: 4, signed: false });
    expect(kf?.returns).toMatchObject({ kind: "pointer", pointee: { kind: "struct", name: "nf_conn" } });
  });

  it.runIf(clangAvailable)("inspect shows each kfunc relocation with its kernel id and prototype", () => {
    const path = compileFixture("ct_lookup");
    const text = formatInspect(inspectObject(loadObject(new Uint8Array(readFileSync(path)), path), readKernelBtf()));
    expect(text).toContain(`kfunc bpf_xdp_ct_lookup = btf_id ${bpftoolKernelId("FUNC", "bpf_xdp_ct_lookup")}: struct nf_conn *bpf_xdp_ct_lookup(`);
    expect(text).toContain(`kfunc bpf_ct_release = btf_id ${bpftoolKernelId("FUNC", "bpf_ct_release")}: void bpf_ct_release(struct nf_conn *`);
    expect(text).not.toContain("unresolved");
  });
});
