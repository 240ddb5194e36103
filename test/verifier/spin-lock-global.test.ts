// bpf_spin_lock in global data and in the values of every hash and array map kind
// (test/verifier/fixtures/spin_lock_global.c, spin_lock_maps.c, spin_lock_two.c).
// The expected verdicts and lines are the kernel's (Linux 6.18, read from its log
// through libbpf; kernel/bpf/btf.c btf_find_datasec_var, btf_find_struct_field,
// btf_get_field_type; kernel/bpf/syscall.c map_check_btf); with root the running
// kernel is asked again and must say the same, and the interpreter runs the
// accepted programs packet for packet beside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../src/elf/index.ts";
import { kernelObjectName } from "../../src/kernel/bpf-call.ts";
import { internalMapName, libbpfObjectName } from "../../src/kernel/map-names.ts";
import { verify, verifyOptionsFor } from "../../src/verifier/index.ts";
import { libbpfVerdict, oracleUnavailable } from "../elf/libbpf-oracle.ts";
import { runInProcess } from "../support/cli-in-process.ts";

const fixture = (name: string) => {
  const path = join(import.meta.dirname, "fixtures", name);
  return { path, object: loadObject(new Uint8Array(readFileSync(path)), name) };
};
const global = fixture("spin_lock_global.o");
const kinds = fixture("spin_lock_maps.o");
const two = fixture("spin_lock_two.o");
const kernelMissing = process.getuid?.() !== 0 ? "loading programs needs root" : oracleUnavailable();
if (kernelMissing) console.log(`\n*** spin lock in global data and map kinds: SKIPPING the kernel comparison: ${kernelMissing} ***\n`);

type Expected = { readonly accept: true } | { readonly pc: number; readonly message: string };
const refused = (pc: number, message: string): Expected => ({ pc, message });
const ACCEPT: Expected = { accept: true };
const withoutBtf = (map: string) => `map '${map}' has to have BTF in order to use bpf_spin_lock`;
const noValidLock = (map: string) => `map '${map}' has no valid bpf_spin_lock`;

const GLOBAL: Readonly<Record<string, Expected>> = {
  global_lock_data: ACCEPT,
  global_lock_bss: ACCEPT,
  global_lock_nested: ACCEPT,
  global_lock_static: ACCEPT,
  global_lock_wrong_var: refused(4, "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8"),
  global_lock_word_read: refused(2, "bpf_spin_lock cannot be accessed directly by load/store"),
  global_lock_exit_held: refused(14, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"),
  // Two lock variables in one section: -E2BIG finding them, the map keeps no lock.
  global_two_locks: refused(2, noValidLock(".data.two")),
  // A struct variable's lock at 4, then a lock variable at 16: the kernel keeps the last found.
  global_lock_nested_beside: refused(6, "off 4 doesn't point to 'struct bpf_spin_lock' that is at 16"),
  global_lock_typedef: refused(2, noValidLock(".data.alias")),
  global_lock_const: refused(2, noValidLock(".rodata")),
  // BPF_F_RDONLY_PROG: map creation with BTF is EACCES, libbpf creates the map again without.
  global_lock_read_only: refused(2, withoutBtf(".rodata.locks")),
};

// Map creation with a lock in the value is EOPNOTSUPP but for hash and array (measured through libbpf's
// "Retrying without BTF"), so the others have no BTF when the program loads.
const KINDS: Readonly<Record<string, Expected>> = {
  lock_hash: ACCEPT,
  lock_array: ACCEPT,
  lock_lru_hash: refused(12, withoutBtf("in_lru_hash")),
  lock_percpu_hash: refused(12, withoutBtf("in_percpu_hash")),
  lock_percpu_array: refused(12, withoutBtf("in_percpu_array")),
  lock_lru_percpu_hash: refused(12, withoutBtf("in_lru_percpu_hash")),
  // Without BTF the lock word is an ordinary field.
  read_lock_word_lru: ACCEPT,
};

const ours = (object: BpfObject, name: string) => {
  const program = object.programs.find((p) => p.name === name)!;
  return verify(program.insns, object.maps, { ...verifyOptionsFor(object, program), logLevel: 0 });
};

// The kernel's log names a map as it was created: global data maps with libbpf's object prefix, others cut to 15 bytes.
const inKernelWords = (object: BpfObject, message: string): string =>
  message.replace(/map '([^']+)'/, (_whole, name: string) => {
    const def = object.maps.find((m) => m.name === name);
    const kernelName = def?.initialValue !== undefined ? internalMapName(libbpfObjectName(object.fileName), name) : kernelObjectName(name);
    return `map '${kernelName}'`;
  });

describe("where global data maps hold their lock (from the DATASEC, offsets from the C layout)", () => {
  const offsetOf = (section: string) => global.object.maps.find((m) => m.name === section)!.spinLockOffsetBytes;
  it("after a u64 in .data, first in .bss, inside a struct after two u64 (16 + 4), a static one first", () => {
    expect([offsetOf(".data"), offsetOf(".bss"), offsetOf(".data.inner"), offsetOf(".data.static")]).toEqual([8, 0, 20, 0]);
  });
  it("the last found beside a struct variable's own: the lock variable at 16 after a 16-byte struct", () => {
    expect(offsetOf(".data.nest")).toBe(16);
  });
  it("none with two lock variables, a typedef'd lock or a const volatile one; a plain one in a read-only section", () => {
    expect([offsetOf(".data.two"), offsetOf(".data.alias"), offsetOf(".rodata"), offsetOf(".rodata.locks")]).toEqual([undefined, undefined, undefined, 0]);
  });
  it("a value struct with two locks of its own has none; a lock beside a member struct's lock is the member's (8 + 4)", () => {
    const offsetIn = (map: string) => two.object.maps.find((m) => m.name === map)!.spinLockOffsetBytes;
    expect([offsetIn("in_two_locks"), offsetIn("in_lock_and_nested")]).toEqual([undefined, 12]);
  });
});

for (const [label, { object }, table] of [["global data", global, GLOBAL], ["map kinds", kinds, KINDS]] as const) {
  describe(`bpf_spin_lock in ${label}: our verdicts`, () => {
    it("covers every program of the object", () => {
      expect(object.programs.map((p) => p.name).sort()).toEqual(Object.keys(table).sort());
    });
    for (const [name, expected] of Object.entries(table)) {
      it(`${name}: ${"accept" in expected ? "accepted" : expected.message}`, () => {
        const result = ours(object, name);
        if ("accept" in expected) expect(result.error?.message ?? "accepted").toBe("accepted");
        else expect([result.error?.pc, result.error?.message]).toEqual([expected.pc, expected.message]);
      });
    }
  });
}

describe("a value type with two locks of its own", () => {
  // The kernel refuses the object's whole .BTF (btf_parse_struct_metas: E2BIG), so libbpf's maps have none and its
  // line is "has to have BTF"; our loader cannot tell the verifier that the object's BTF is refused, so ours
  // names the map's missing lock. Both refuse.
  it("lock_first_of_two is refused at the lock", () => {
    expect(ours(two.object, "lock_first_of_two").error?.message).toBe(noValidLock("in_two_locks"));
  });
});

describe.skipIf(kernelMissing !== undefined)("bpf_spin_lock in global data and map kinds: the kernel says the same", () => {
  for (const [{ path, object }, names] of [[global, Object.keys(GLOBAL)], [kinds, Object.keys(KINDS)]] as const) {
    for (const name of names) {
      it(name, () => {
        const kernel = libbpfVerdict(path, name);
        if (typeof kernel === "string") throw new Error(kernel);
        const result = ours(object, name);
        expect(result.accepted, kernel.log.slice(-600)).toBe(kernel.accepted);
        if (!result.accepted) expect(kernel.log.split("\n").map((line) => line.trim())).toContain(inKernelWords(object, result.error!.message));
      });
    }
  }
  for (const program of two.object.programs) {
    it(`${program.name}: refused by both`, () => {
      const kernel = libbpfVerdict(two.path, program.name);
      if (typeof kernel === "string") throw new Error(kernel);
      expect([kernel.accepted, ours(two.object, program.name).accepted]).toEqual([false, false]);
    });
  }

  it("global_lock_bss runs as in the kernel: the first 100 packets take a token and pass, the rest drop", async () => {
    const outcome = await runInProcess(["kernel-check", global.path, "--prog", "global_lock_bss", "--packets", "200"]);
    expect(outcome.stdout).toContain("200 of 200 packets agree (XDP_DROP 100, XDP_PASS 100)");
  });
});

describe("the interpreter and the NIC agree on a lock in .data", () => {
  it("global_lock_data: 200 packets and the final maps identical", async () => {
    const outcome = await runInProcess(["run", global.path, "--prog", "global_lock_data", "--cores", "4", "--packets", "200"]);
    expect(outcome.stdout).toContain("200/200 packets identical, final maps identical");
  });
});
