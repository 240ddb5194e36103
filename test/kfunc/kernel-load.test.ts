// kfunc calls and __ksym loads patched with the running kernel's BTF ids, as
// libbpf patches them, so the real kernel loads such programs.
import { describe, expect, it } from "vitest";
import { CALL, LDDW, PseudoCall, PseudoLd } from "../../src/ebpf/opcode.ts";
import type { Insn } from "../../src/ebpf/instruction.ts";
import { resolveKernelExterns } from "../../src/elf/kernel-btf-externs.ts";
import { readKernelBtf } from "../../src/elf/kernel-btf.ts";
import { kernelOracleAvailability } from "../../src/kernel/availability.ts";
import { instantiateObject } from "../../src/kernel/object-instance.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { announceSkip, bpftoolAvailable, bpftoolKernelId, clangAvailable, kernelBtfAvailable, loadFixture } from "./fixtures.ts";

const kernel = kernelOracleAvailability();
if (!kernel.available) announceSkip("KFUNC KERNEL LOADS", kernel.reason);

const insn = (opcode: number, src: number, imm: number, off = 0): Insn => ({ opcode, dst: 0, src, off, imm });

describe.runIf(kernelBtfAvailable && bpftoolAvailable)("patching against the running kernel's BTF", () => {
  it("a kfunc call gets src 2, the FUNC's id in imm and off 0 (vmlinux)", () => {
    const program = [insn(CALL, PseudoCall.LOCAL, -1, 0), insn(0x95, 0, 0)];
    const out = resolveKernelExterns(program, [{ kind: "kfunc", name: "bpf_ct_release", pc: 0 }], readKernelBtf());
    expect(out[0]).toEqual(insn(CALL, PseudoCall.KFUNC, bpftoolKernelId("FUNC", "bpf_ct_release")!, 0));
    expect(out[1]).toEqual(program[1]);
  });

  it("a typed __ksym load gets src BPF_PSEUDO_BTF_ID (3), the VAR's id, and 0 in the second slot", () => {
    const program = [insn(LDDW, 0, 0), insn(0, 0, 0), insn(0x95, 0, 0)];
    const out = resolveKernelExterns(program, [{ kind: "ksym", name: "bpf_prog_active", pc: 0 }], readKernelBtf());
    expect(out[0]).toEqual(insn(LDDW, PseudoLd.BTF_ID, bpftoolKernelId("VAR", "bpf_prog_active")!));
    expect(out[1].imm).toBe(0);
  });

  it("a kfunc the kernel does not have is one sentence naming it and the BTF file", () => {
    const program = [insn(CALL, PseudoCall.LOCAL, -1), insn(0x95, 0, 0)];
    expect(() => resolveKernelExterns(program, [{ kind: "kfunc", name: "bpf_no_such_kfunc", pc: 0 }], readKernelBtf())).toThrow(
      "kfunc bpf_no_such_kfunc is not in the kernel BTF at /sys/kernel/btf/vmlinux",
    );
  });
});

describe.runIf(kernel.available && clangAvailable && kernelBtfAvailable)("the kernel loads programs calling kfuncs", () => {
  it("accepts ct_lookup.c (bpf_xdp_ct_lookup + bpf_ct_release, net/netfilter/nf_conntrack_bpf.c)", async () => {
    const object = loadFixture("ct_lookup");
    await withKernel((k) => {
      const verdict = instantiateObject(k, object).verdicts.get("ct_lookup");
      expect(verdict?.accepted ? "accepted" : verdict?.error.message).toBe("accepted");
    });
  });

  it("refuses rx_hash.c for the kernel's own reason: metadata kfuncs need a device-bound program (kernel/bpf/offload.c)", async () => {
    const object = loadFixture("rx_hash");
    await withKernel((k) => {
      const verdict = instantiateObject(k, object).verdicts.get("rx_hash");
      expect(verdict?.accepted).toBe(false);
      if (verdict && !verdict.accepted) expect(verdict.error.verifierLog).toContain("metadata kfuncs require device-bound program");
    });
  });
});
