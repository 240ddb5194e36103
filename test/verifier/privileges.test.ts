// The checks the kernel makes only for a loader without CAP_PERFMON
// (allow_ptr_leaks and allow_uninit_stack false). The tests run as root, so
// the kernel cannot be asked; messages are the kernel's strings
// (kernel/bpf/verifier.c check_return_code, check_mem_access, check_stack_read_fixed_off).
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import { MapType } from "../../src/maps/types.ts";
import { verify } from "../../src/verifier/index.ts";

const unprivileged = { allowPtrLeaks: false } as const;
const hash = { name: "m", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };

describe("a loader without CAP_PERFMON", () => {
  it("may not return a pointer", () => {
    const program = assemble("r0 = r10\nexit");
    expect(verify(program, []).accepted).toBe(true);
    expect(verify(program, [], unprivileged).error?.message).toBe("R0 leaks addr as return value");
  });

  it("may not read stack bytes never written", () => {
    const program = assemble("r0 = *(u64 *)(r10 - 8)\nr0 &= 1\nexit");
    expect(verify(program, []).accepted).toBe(true);
    expect(verify(program, [], unprivileged).error?.message).toBe("invalid read from stack off -8+0 size 8");
  });

  it("may not store a pointer into a map value", () => {
    const program = assemble(`
      *(u32 *)(r10 - 4) = 0
      r2 = r10
      r2 += -4
      ld_pseudo r1, 5, 0
      call 1
      if r0 == 0 goto out
      *(u64 *)(r0 + 0) = r10
    out:
      r0 = 2
      exit
    `);
    expect(verify(program, [hash]).accepted).toBe(true);
    expect(verify(program, [hash], unprivileged).error?.message).toBe("R10 leaks addr into map");
  });

  it("may not compare pointers other than packet pointers and NULL checks", () => {
    const program = assemble("r2 = r10\nif r2 > r1 goto +0\nr0 = 0\nexit");
    expect(verify(program, []).accepted).toBe(true);
    expect(verify(program, [], unprivileged).error?.message).toBe("R2 pointer comparison prohibited");
  });
});

describe("a loader without CAP_BPF", () => {
  it("may not loop", () => {
    const program = assemble("r1 = 0\nloop:\nr1 += 1\nif r1 < 4 goto loop\nr0 = 0\nexit");
    expect(verify(program, []).accepted).toBe(true);
    expect(verify(program, [], { bpfCapable: false }).error?.message).toBe("back-edge from insn 2 to 1");
  });
});
