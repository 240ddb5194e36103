// An object whose .BTF the kernel refuses: libbpf ignores the refusal ("BTF is
// optional, ignoring") and creates every map without BTF, so a program taking
// a bpf_spin_lock is refused with "has to have BTF in order to use
// bpf_spin_lock". instantiateObject must do the same, and not give the map a
// spin-lock BTF of its own, which it keeps for callers with no object BTF at all.
// test/verifier/fixtures/spin_lock_two.c: the kernel refuses its BTF with E2BIG
// (a struct with two locks of its own, btf_parse_struct_metas).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { MapCreateAttr, BtfLoadAttr } from "../../src/kernel/attr-layout.ts";
import { readCString } from "../../src/kernel/bpf-call.ts";
import { instantiateObject, KernelSession, withKernel } from "../../src/kernel/index.ts";
import { prepareObjectBtf } from "../../src/kernel/object-btf.ts";
import { BpfCmd } from "../../src/kernel/uapi.ts";
import { libbpfVerdict, oracleUnavailable } from "../elf/libbpf-oracle.ts";
import { fakeNative } from "./fake-native.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const path = new URL("../verifier/fixtures/spin_lock_two.o", import.meta.url).pathname;
const bytes = new Uint8Array(readFileSync(path));
const u32At = (attr: Uint8Array, offset: number): number => new DataView(attr.buffer, attr.byteOffset).getUint32(offset, true);
const E2BIG = 7;

// Map creations (name, btf_fd) when the fake kernel refuses exactly the object's .BTF with E2BIG.
function creationsWithObjectBtfRefused(object: ReturnType<typeof loadObject>): { name: string; btfFd: number }[] {
  const objectBtfBytes = prepareObjectBtf(bytes, path)!.blob.length;
  let nextFd = 100;
  const { native, calls } = fakeNative((cmd, attr) =>
    cmd === BpfCmd.BTF_LOAD && u32At(attr.bytes, BtfLoadAttr.btf_size) === objectBtfBytes ? { result: -1, errno: E2BIG } : { result: nextFd++, errno: 0 },
  );
  const session = KernelSession.open(native);
  instantiateObject(session, object, { programs: ["lock_beside_nested"] });
  session.close();
  return calls
    .filter((c) => c.cmd === BpfCmd.MAP_CREATE)
    .map((c) => ({ name: readCString(c.attr.subarray(MapCreateAttr.map_name, MapCreateAttr.map_name + 16)), btfFd: u32At(c.attr, MapCreateAttr.btf_fd) }));
}

describe("an object whose .BTF the kernel refuses (fake kernel)", () => {
  it("has every map created without BTF, the one holding a lock too", () => {
    const object = loadObject(bytes, path);
    expect(object.maps.find((m) => m.name === "in_lock_and_nested")!.spinLockOffsetBytes).toBeDefined();
    expect(creationsWithObjectBtfRefused(object)).toEqual([
      { name: "in_two_locks", btfFd: 0 },
      { name: "in_lock_and_nes", btfFd: 0 },
    ]);
  });

  it("while the same maps without any object BTF (MapDefs alone) get spin-lock BTF for the lock", () => {
    const object = { ...loadObject(bytes, path), btf: undefined };
    const created = creationsWithObjectBtfRefused(object);
    expect(created.find((c) => c.name === "in_lock_and_nes")!.btfFd).toBeGreaterThan(0);
    expect(created.find((c) => c.name === "in_two_locks")!.btfFd).toBe(0);
  });
});

const libbpfMissing = oracleUnavailable();
describe.skipIf(!kernelAvailable || libbpfMissing !== undefined)("spin_lock_two.o in the kernel, as through libbpf", () => {
  it("lock_beside_nested: maps without BTF, refused at the lock with libbpf's line and processed count", async () => {
    const libbpf = libbpfVerdict(path, "lock_beside_nested");
    if (typeof libbpf === "string") throw new Error(libbpf);
    const lastLines = (log: string) => log.trim().split("\n").slice(-2);
    await withKernel((k) => {
      const instance = instantiateObject(k, loadObject(bytes, path), { programs: ["lock_beside_nested"], logLevel: 1 });
      expect(instance.btfProblem).toMatch(/E2BIG/);
      expect(instance.maps.map((m) => k.mapInfo(m).btfId)).toEqual([0, 0]);
      const verdict = instance.verdicts.get("lock_beside_nested")!;
      expect(verdict.accepted).toBe(false);
      if (!verdict.accepted) expect(lastLines(verdict.error.verifierLog)).toEqual(lastLines(libbpf.log));
      expect(libbpf.accepted).toBe(false);
    });
  });
});
