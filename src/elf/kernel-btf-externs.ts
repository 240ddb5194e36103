import type { Insn, Program } from "../ebpf/instruction.ts";
import { CALL, LDDW, PseudoCall, PseudoLd } from "../ebpf/opcode.ts";
import type { ExternRef } from "./bpf-object.ts";
import { KernelBtfError, requireKfunc, type KernelBtf } from "./kernel-btf.ts";

// A program's kfunc calls and __ksym loads patched with the kernel's BTF ids,
// as libbpf's bpf_object__relocate_data does once bpf_object__resolve_ksyms
// has found them (tools/lib/bpf/libbpf.c, RELO_EXTERN_CALL / RELO_EXTERN_LD64):
//   call:     src = BPF_PSEUDO_KFUNC_CALL, imm = the FUNC's id, off = 0 (vmlinux; a module's BTF would be its fd_array index)
//   ld_imm64: src = BPF_PSEUDO_BTF_ID, imm = the VAR's id, second slot's imm = 0 (vmlinux's BTF object fd)
// Typeless ksyms (`extern const void x __ksym`), which libbpf patches with the
// kallsyms address instead, are not told apart here: a ksym must be a kernel VAR.
export function resolveKernelExterns(program: Program, externs: readonly ExternRef[], kernel: KernelBtf): Program {
  if (externs.length === 0) return program;
  const out: Insn[] = [...program];
  for (const ref of externs) {
    const insn = out[ref.pc];
    switch (ref.kind) {
      case "kfunc": {
        if (insn?.opcode !== CALL) throw misplaced(ref, insn);
        out[ref.pc] = { ...insn, src: PseudoCall.KFUNC, off: 0, imm: requireKfunc(kernel, ref.name).btfId };
        break;
      }
      case "ksym": {
        if (insn?.opcode !== LDDW || out[ref.pc + 1] === undefined) throw misplaced(ref, insn);
        const variable = kernel.findVar(ref.name);
        if (!variable) {
          throw new KernelBtfError(`instruction ${ref.pc} loads ksym ${ref.name}, which is not a variable of the kernel BTF at ${kernel.path} (typeless ksyms resolved through kallsyms are not supported)`, { pc: ref.pc });
        }
        out[ref.pc] = { ...insn, src: PseudoLd.BTF_ID, imm: variable.btfId };
        out[ref.pc + 1] = { ...out[ref.pc + 1], imm: 0 };
        break;
      }
      default: {
        const unreachable: never = ref.kind;
        throw new Error(`unhandled extern kind ${String(unreachable)}`);
      }
    }
  }
  return out;
}

const misplaced = (ref: ExternRef, insn: Insn | undefined) =>
  new KernelBtfError(`instruction ${ref.pc} should refer to ${ref.kind} ${ref.name} but is ${insn ? `opcode 0x${insn.opcode.toString(16)}` : "past the program's end"}`, { pc: ref.pc });
