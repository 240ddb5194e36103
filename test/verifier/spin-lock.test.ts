// bpf_spin_lock / bpf_spin_unlock (test/verifier/fixtures/spin_lock.c, one XDP
// program per rule). The expected verdicts, instructions and lines are the
// kernel's (Linux 6.18, read from its log through libbpf and from
// kernel/bpf/verifier.c process_spin_lock, do_check, check_func_call,
// check_resource_leak, check_map_access); with root the running kernel is
// asked again and must say the same.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import type { MapDef } from "../../src/maps/types.ts";
import { verify, verifyOptionsFor } from "../../src/verifier/index.ts";
import { statesEqual } from "../../src/verifier/prune.ts";
import { emptyState, newFrame } from "../../src/verifier/state.ts";
import { libbpfVerdict, oracleUnavailable } from "../elf/libbpf-oracle.ts";

const path = join(import.meta.dirname, "fixtures/spin_lock.o");
const object = loadObject(new Uint8Array(readFileSync(path)), "spin_lock.o");
const kernelMissing = process.getuid?.() !== 0 ? "loading programs needs root" : oracleUnavailable();
if (kernelMissing) console.log(`\n*** spin lock: SKIPPING the kernel comparison: ${kernelMissing} ***\n`);

type Expected = { readonly accept: true } | { readonly pc: number; readonly message: string };
const EXPECTED: Readonly<Record<string, Expected>> = {
  lock_ok: { accept: true },
  lock_nested_ok: { accept: true },
  lock_after_join: { accept: true },
  lock_static_call: { accept: true },
  lock_in_subprog: { accept: true },
  lock_global_call: { pc: 15, message: "global function calls are not allowed while holding a lock," },
  lock_wrong_offset: { pc: 12, message: "off 8 doesn't point to 'struct bpf_spin_lock' that is at 4" },
  lock_variable_offset: { pc: 15, message: "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset" },
  lock_map_without_lock: { pc: 10, message: "map 'plain' has no valid bpf_spin_lock" },
  lock_unchecked_null: { pc: 9, message: "R1 type=map_value_or_null expected=map_value, ptr_" },
  lock_on_stack: { pc: 5, message: "R1 type=fp expected=map_value, ptr_" },
  lock_helper_inside: { pc: 13, message: "function calls are not allowed while holding a lock" },
  lock_two: { pc: 26, message: "function calls are not allowed while holding a lock" },
  lock_exit_held: { pc: 22, message: "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region" },
  unlock_without_lock: { pc: 13, message: "bpf_spin_unlock without taking a lock" },
  unlock_other: { pc: 27, message: "bpf_spin_unlock of different lock" },
  unlock_after_one_path: { pc: 24, message: "bpf_spin_unlock without taking a lock" },
  lock_word_read: { pc: 10, message: "bpf_spin_lock cannot be accessed directly by load/store" },
  lock_word_by_helper: { pc: 16, message: "bpf_spin_lock cannot be accessed directly by load/store" },
  lock_in_callback: { accept: true },
  // The callback's exit goes back to the bpf_loop call, a helper call made with the lock held.
  lock_left_by_callback: { pc: 19, message: "function calls are not allowed while holding a lock" },
};

const ours = (name: string) => {
  const program = object.programs.find((p) => p.name === name)!;
  return verify(program.insns, object.maps, { ...verifyOptionsFor(object, program), logLevel: 0 });
};

describe("where the map values' locks are (from the value types' BTF)", () => {
  const offsetOf = (name: string) => object.maps.find((m) => m.name === name)!.spinLockOffsetBytes;
  it("after a 4-byte counter, inside a nested struct at 8 + 4, first, and none in a plain u64", () => {
    expect([offsetOf("buckets"), offsetOf("nested"), offsetOf("heads"), offsetOf("plain")]).toEqual([4, 12, 0, undefined]);
  });
});

describe("bpf_spin_lock rules, one program each", () => {
  it("covers every program of the object", () => {
    expect(object.programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${"accept" in expected ? "accepted" : expected.message}`, () => {
      const result = ours(name);
      if ("accept" in expected) {
        expect(result.error?.message ?? "accepted").toBe("accepted");
      } else {
        expect([result.error?.pc, result.error?.message]).toEqual([expected.pc, expected.message]);
      }
    });
  }
});

describe.skipIf(kernelMissing !== undefined)("bpf_spin_lock rules: the kernel says the same", () => {
  for (const name of Object.keys(EXPECTED)) {
    it(name, () => {
      const kernel = libbpfVerdict(path, name);
      if (typeof kernel === "string") throw new Error(kernel);
      const result = ours(name);
      expect(result.accepted, kernel.log.slice(-600)).toBe(kernel.accepted);
      if (!result.accepted) expect(kernel.log.split("\n").map((line) => line.trim())).toContain(result.error!.message);
    });
  }
});

describe("pruning compares the lock held", () => {
  const map: MapDef = { name: "buckets", type: 1, keySize: 4, valueSize: 16, maxEntries: 64, flags: 0, spinLockOffsetBytes: 4 };
  const other: MapDef = { ...map, name: "others" };
  const state = (lock?: { id: number; map: MapDef }) => ({ ...emptyState(newFrame(0, -1, 0)), lock: lock && { ...lock, insn: 0 } });
  const live = [1 << 10];

  it("a state holding no lock and one holding a lock are not the same", () => {
    expect(statesEqual(state(), state({ id: 1, map }), live, false)).toBe(false);
    expect(statesEqual(state({ id: 1, map }), state(), live, false)).toBe(false);
  });

  it("the same lock under other ids is the same; a lock of another map is not", () => {
    expect(statesEqual(state({ id: 1, map }), state({ id: 7, map }), live, false)).toBe(true);
    expect(statesEqual(state({ id: 1, map }), state({ id: 1, map: other }), live, false)).toBe(false);
    expect(statesEqual(state(), state(), live, true)).toBe(true);
  });
});
