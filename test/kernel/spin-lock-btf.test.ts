// BTF made from a MapDef whose value holds a bpf_spin_lock: the value type is
// the value's size with a 4-byte struct bpf_spin_lock at the definition's
// offset, the key type the key's size; the kernel then accepts a program
// taking the lock (BPF_FUNC_spin_lock 93, spin_unlock 94, include/uapi/linux/bpf.h).
import { describe, expect, it } from "vitest";
import { resolveSize } from "../../src/elf/btf.ts";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { parseBlob } from "../../src/kernel/btf-blob.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { spinLockMapBtf } from "../../src/kernel/spin-lock-btf.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { addImm, callHelper as call, exit, Helper, ldMap, movImm, movReg, storeImm } from "./hand-asm.ts";
import { insn } from "../../src/ebpf/instruction.ts";
import { Class, JmpOp, Source } from "../../src/ebpf/opcode.ts";

const def = (lockAt: number | undefined): MapDef => ({
  name: "locked",
  type: MapType.HASH,
  keySize: 4,
  valueSize: 24,
  maxEntries: 8,
  flags: 0,
  ...(lockAt === undefined ? {} : { spinLockOffsetBytes: lockAt }),
});

describe("spinLockMapBtf", () => {
  it.each([0, 8, 20])("puts a 4-byte bpf_spin_lock at byte %i of a 24-byte value with a 4-byte key", (lockAt) => {
    const made = spinLockMapBtf(def(lockAt))!;
    const btf = parseBlob(made.blob);
    expect(resolveSize(btf, made.valueTypeId, "value")).toBe(24);
    expect(resolveSize(btf, made.keyTypeId, "key")).toBe(4);
    const lock = btf.types[made.valueTypeId].members!.find((m) => btf.types[m.type].name === "bpf_spin_lock")!;
    expect(lock.offset).toBe(lockAt * 8);
    expect(resolveSize(btf, lock.type, "lock")).toBe(4);
  });

  it("makes nothing for a value without a lock, or a lock that would not fit", () => {
    expect(spinLockMapBtf(def(undefined))).toBeUndefined();
    expect(spinLockMapBtf(def(22))).toBeUndefined();
  });
});

// r1 = map; r2 = fp-4 (key 0); lookup; if r0 == 0 goto out; r6 = r0; r1 = r6 + lockAt; spin_lock;
// r1 = r6 + lockAt; spin_unlock; out: r0 = 2; exit
function lockingProgram(lockAt: number) {
  return [
    storeImm("w", 10, -4, 0),
    ...ldMap(1, 0),
    movReg(2, 10),
    addImm(2, -4),
    call(Helper.MAP_LOOKUP_ELEM),
    insn(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 7, 0),
    movReg(6, 0),
    movReg(1, 6),
    addImm(1, lockAt),
    call(SPIN_LOCK),
    movReg(1, 6),
    addImm(1, lockAt),
    call(SPIN_UNLOCK),
    movImm(0, 2),
    exit(),
  ];
}
const SPIN_LOCK = 93;
const SPIN_UNLOCK = 94;

describe.skipIf(!kernelAvailable)("a map created with made-up spin lock BTF, in the kernel", () => {
  it.each([0, 8])("lets a program take and release the lock at byte %i", async (lockAt) => {
    await withKernel((k) => {
      const map = k.createMap(def(lockAt));
      const info = k.mapInfo(map);
      expect(info.btfId).toBeGreaterThan(0);
      const verdict = k.tryLoadProgram({ program: lockingProgram(lockAt), mapFds: [map.fd], name: "locks" });
      expect(verdict.accepted ? "accepted" : verdict.error.message).toBe("accepted");
    });
  });

  it("the same program is refused on a map without BTF", async () => {
    await withKernel((k) => {
      const map = k.createMap(def(undefined));
      const verdict = k.tryLoadProgram({ program: lockingProgram(0), mapFds: [map.fd], name: "locks" });
      expect(verdict.accepted).toBe(false);
      if (!verdict.accepted) expect(verdict.error.verifierLog).toMatch(/has to have BTF in order to use bpf_spin_lock/);
    });
  });
});
