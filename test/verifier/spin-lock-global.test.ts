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
import { verifierMapsFor } from "../../src/verifier/object-options.ts";
import { structWithTwoSpinLocks } from "../../src/elf/btf-maps.ts";
import { readBtf } from "../../src/elf/btf.ts";
import { contents, readElf } from "../../src/elf/elf-file.ts";
import { layoutOf } from "../../src/elf/object-layout.ts";
import { libbpfVerdict, oracleUnavailable } from "../elf/libbpf-oracle.ts";
import { runInProcess } from "../support/cli-in-process.ts";

const fixture = (name: string) => {
  const path = join(import.meta.dirname, "fixtures", name);
  const bytes = new Uint8Array(readFileSync(path));
  return { path, bytes, object: loadObject(bytes, name) };
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

// The object's bytes go along for its .BTF (the fixtures are loaded under their bare file names).
const ours = ({ object, bytes }: { object: BpfObject; bytes: Uint8Array }, name: string) => {
  const program = object.programs.find((p) => p.name === name)!;
  const source = { objectBytes: bytes };
  return verify(program.insns, verifierMapsFor(object, source), { ...verifyOptionsFor(object, program, source), logLevel: 0 });
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

for (const [label, fixed, table] of [["global data", global, GLOBAL], ["map kinds", kinds, KINDS]] as const) {
  const { object } = fixed;
  describe(`bpf_spin_lock in ${label}: our verdicts`, () => {
    it("covers every program of the object", () => {
      expect(object.programs.map((p) => p.name).sort()).toEqual(Object.keys(table).sort());
    });
    for (const [name, expected] of Object.entries(table)) {
      it(`${name}: ${"accept" in expected ? "accepted" : expected.message}`, () => {
        const result = ours(fixed, name);
        if ("accept" in expected) expect(result.error?.message ?? "accepted").toBe("accepted");
        else expect([result.error?.pc, result.error?.message]).toEqual([expected.pc, expected.message]);
      });
    }
  });
}

// The kernel refuses the object's whole .BTF (btf_parse_struct_metas: E2BIG for struct two_locks), libbpf
// creates every map without BTF, and the first bpf_spin_lock call (pc 10 in both, llvm-objdump) is refused for it.
const TWO: Readonly<Record<string, Expected>> = {
  lock_first_of_two: refused(10, withoutBtf("in_two_locks")),
  // Its own value type is fine, but the object's BTF is refused all the same.
  lock_beside_nested: refused(10, withoutBtf("in_lock_and_nested")),
};

describe("an object with a value type holding two locks of its own: every map without BTF", () => {
  it("covers every program of the object", () => {
    expect(two.object.programs.map((p) => p.name).sort()).toEqual(Object.keys(TWO).sort());
  });
  for (const [name, expected] of Object.entries(TWO)) {
    it(`${name}: ${"accept" in expected ? "accepted" : expected.message}`, () => {
      const result = ours(two, name);
      if ("accept" in expected) expect(result.error?.message ?? "accepted").toBe("accepted");
      else expect([result.error?.pc, result.error?.message]).toEqual([expected.pc, expected.message]);
    });
  }
  // Without the bytes, the .BTF is read again from the file the object's name gives (as the CLI loads it).
  const withoutBytes = (object: BpfObject, name: string) => {
    const program = object.programs.find((p) => p.name === name)!;
    const result = verify(program.insns, verifierMapsFor(object), { ...verifyOptionsFor(object, program), logLevel: 0 });
    return [result.error?.pc, result.error?.message];
  };
  it("loaded by path, the object's .BTF is read again from the file: every map without BTF", () => {
    const byPath = loadObject(two.bytes, two.path);
    expect(withoutBytes(byPath, "lock_first_of_two")).toEqual([10, withoutBtf("in_two_locks")]);
    expect(withoutBytes(byPath, "lock_beside_nested")).toEqual([10, withoutBtf("in_lock_and_nested")]);
  });
  it("loaded under a name that is no file, the refusal cannot be seen: the maps keep their BTF and their locks", () => {
    const unreadable = loadObject(two.bytes, "no/such/dir/spin_lock_two.o");
    expect(withoutBytes(unreadable, "lock_first_of_two")).toEqual([10, noValidLock("in_two_locks")]);
    expect(withoutBytes(unreadable, "lock_beside_nested")).toEqual([10, "off 0 doesn't point to 'struct bpf_spin_lock' that is at 12"]);
  });
  it("the struct the kernel refuses is two_locks; the other fixtures' BTF, with two lock variables in one DATASEC, is accepted", () => {
    const structOf = (bytes: Uint8Array) => {
      const elf = readElf(bytes, "fixture");
      return structWithTwoSpinLocks(readBtf(contents(elf, layoutOf(elf).btf!)))?.name;
    };
    expect([structOf(two.bytes), structOf(global.bytes), structOf(kinds.bytes)]).toEqual(["two_locks", undefined, undefined]);
  });
  it("offload-sim verify prints the kernel's line for both programs", async () => {
    for (const [name, map] of [["lock_first_of_two", "in_two_locks"], ["lock_beside_nested", "in_lock_and_nested"]]) {
      const out = await runInProcess(["verify", two.path, "--prog", name]);
      expect(out.status, out.stdout + out.stderr).toBe(1);
      expect(out.stdout).toContain(`rejected at insn 10: call 93\n  ${withoutBtf(map)}`);
    }
  });
  it("the maps as the kernel holds them have no lock offset; the object's own keep theirs", () => {
    expect(verifierMapsFor(two.object, { objectBytes: two.bytes }).map((m) => m.spinLockOffsetBytes)).toEqual([undefined, undefined]);
    expect(two.object.maps.map((m) => m.spinLockOffsetBytes)).toEqual([undefined, 12]);
  });
});

describe.skipIf(kernelMissing !== undefined)("bpf_spin_lock in global data and map kinds: the kernel says the same", () => {
  for (const [fixed, names] of [[global, Object.keys(GLOBAL)], [kinds, Object.keys(KINDS)], [two, Object.keys(TWO)]] as const) {
    for (const name of names) {
      it(name, () => {
        const kernel = libbpfVerdict(fixed.path, name);
        if (typeof kernel === "string") throw new Error(kernel);
        const result = ours(fixed, name);
        expect(result.accepted, kernel.log.slice(-600)).toBe(kernel.accepted);
        if (!result.accepted) expect(kernel.log.split("\n").map((line) => line.trim())).toContain(inKernelWords(fixed.object, result.error!.message));
      });
    }
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
