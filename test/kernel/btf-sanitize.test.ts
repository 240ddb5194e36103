// BTF rewritten for a kernel without some BTF kinds (libbpf's
// bpf_object__sanitize_btf), and the probes that tell which kinds a kernel
// has. Each probe blob uses one feature; rewritten for a kernel without it,
// none of that feature is left, type sizes and ids stay, and this kernel
// (which has every feature) accepts the result.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { describe, expect, it } from "vitest";
import { resolveSize, type Btf } from "../../src/elf/btf.ts";
import { loadObject } from "../../src/elf/index.ts";
import { parseBlob } from "../../src/kernel/btf-blob.ts";
import { btfFeatures, btfProbeBlob, FULL_BTF_SUPPORT, type BtfFeature, type BtfKernelSupport } from "../../src/kernel/btf-features.ts";
import { sanitizeBtf } from "../../src/kernel/btf-sanitize.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { prepareObjectBtf } from "../../src/kernel/object-btf.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const without = (...features: BtfFeature[]): BtfKernelSupport => ({ ...FULL_BTF_SUPPORT, ...Object.fromEntries(features.map((f) => [f, false])) });
const NOTHING = without(...btfFeatures);

// What must be gone once a feature is missing.
const remnant: Readonly<Record<BtfFeature, (btf: Btf) => boolean>> = {
  func: (btf) => btf.types.some((t) => t.kind === "func" || t.kind === "func_proto"),
  funcGlobal: (btf) => btf.types.some((t) => t.kind === "func" && t.vlen === 1),
  datasec: (btf) => btf.types.some((t) => t.kind === "datasec" || t.kind === "var"),
  qmarkDatasec: (btf) => btf.types.some((t) => t.kind === "datasec" && t.name.startsWith("?")),
  float: (btf) => btf.types.some((t) => t.kind === "float"),
  declTag: (btf) => btf.types.some((t) => t.kind === "decl_tag"),
  typeTag: (btf) => btf.types.some((t) => t.kind === "type_tag"),
  enum64: (btf) => btf.types.some((t) => t.kind === "enum64"),
};

describe("sanitizeBtf", () => {
  it.each(btfFeatures)("leaves no trace of %s in its probe blob when the kernel lacks it", (feature) => {
    const probe = btfProbeBlob(feature);
    expect(remnant[feature](parseBlob(probe)), "the probe uses the feature").toBe(true);
    const btf = parseBlob(sanitizeBtf(probe, without(feature))!);
    expect(remnant[feature](btf)).toBe(false);
  });

  it("leaves a blob alone when the kernel has every feature", () => {
    for (const feature of btfFeatures) expect(sanitizeBtf(btfProbeBlob(feature), FULL_BTF_SUPPORT)).toEqual(btfProbeBlob(feature));
  });

  it("turns a DATASEC into a struct of its variables at their byte offsets, named without '.'", () => {
    const btf = parseBlob(sanitizeBtf(btfProbeBlob("datasec"), without("datasec"))!);
    // The probe: [2] VAR x (int), [3] DATASEC .data of 4 bytes with x at 0.
    expect(btf.types[3]).toMatchObject({ kind: "struct", name: "_data", sizeOrType: 4 });
    expect(btf.types[3].members).toEqual([{ name: "x", type: 2, offset: 0 }]);
  });

  it("turns an ENUM64 into a union of an added 1-byte int, one more type", () => {
    const before = parseBlob(btfProbeBlob("enum64"));
    const btf = parseBlob(sanitizeBtf(btfProbeBlob("enum64"), without("enum64"))!);
    expect(btf.types).toHaveLength(before.types.length + 1);
    const placeholder = btf.types.at(-1)!;
    expect(placeholder).toMatchObject({ kind: "int", name: "enum64_placeholder", sizeOrType: 1 });
    expect(btf.types[2]).toMatchObject({ kind: "union", sizeOrType: 8 });
    expect(btf.types[2].members!.every((m) => m.type === placeholder.id && m.offset === 0)).toBe(true);
  });

  it("keeps a global data map's value type the size of its section (global_data.o, every feature missing)", () => {
    const path = new URL("../fixtures/elf/global_data.o", import.meta.url).pathname;
    const prepared = prepareObjectBtf(new Uint8Array(readFileSync(path)), path)!;
    const btf = parseBlob(sanitizeBtf(prepared.blob, NOTHING)!);
    for (const def of loadObject(new Uint8Array(readFileSync(path)), path).maps) {
      const ids = prepared.mapTypeIds.get(def.name)!;
      expect(btf.types[ids.valueTypeId].kind, def.name).toBe("struct");
      expect(resolveSize(btf, ids.valueTypeId, def.name), def.name).toBe(def.valueSize);
    }
  });
});

const [major, minor] = release().split(".").map(Number);
// Every probed feature is in Linux 6.5 and later (btf-features.ts).
const hasEveryFeature = major > 6 || (major === 6 && minor >= 5);

describe.skipIf(!kernelAvailable)("BTF features in the kernel", () => {
  it.skipIf(!hasEveryFeature)(`finds every feature in this Linux ${release()}`, async () => {
    await withKernel((k) => expect(k.btfSupport()).toEqual(FULL_BTF_SUPPORT));
  });

  it("accepts every probe blob rewritten for a kernel with no feature at all", async () => {
    await withKernel((k) => {
      for (const feature of btfFeatures) k.release(k.loadBtf(sanitizeBtf(btfProbeBlob(feature), NOTHING)!, feature));
    });
  });

  it("creates ddos_scrubber's maps with its BTF rewritten for a kernel with no feature at all", async () => {
    const path = new URL("../fixtures/realworld3/ddos_scrubber.o", import.meta.url).pathname;
    const bytes = new Uint8Array(readFileSync(path));
    const prepared = prepareObjectBtf(bytes, path)!;
    await withKernel((k) => {
      const handle = k.loadBtf(sanitizeBtf(prepared.blob, NOTHING)!);
      const def = loadObject(bytes, path).maps.find((m) => m.name === "src_buckets")!;
      const map = k.createMap(def, { btf: { handle, mapTypeIds: prepared.mapTypeIds, funcTypeIds: prepared.funcTypeIds, stringOffsets: prepared.stringOffsets } });
      const info = k.mapInfo(map);
      expect(info.btfId).toBeGreaterThan(0);
      expect(info.btfValueTypeId).toBe(prepared.mapTypeIds.get("src_buckets")!.valueTypeId);
    });
  });
});
