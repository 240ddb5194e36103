// The instruction bytes handed to BPF_PROG_LOAD. A Program names its maps by
// index, the way the kernel's fd_array convention does: a 64-bit immediate
// load with src = BPF_PSEUDO_MAP_IDX means "the map with this index", and
// BPF_PSEUDO_MAP_IDX_VALUE "the address of this map's value plus the offset in
// the second slot's imm" (global data: .data/.rodata/.bss). Here each index is
// replaced by the map's fd (src becomes BPF_PSEUDO_MAP_FD or
// BPF_PSEUDO_MAP_VALUE), which every kernel with bpf() understands.
// Loads that already carry an fd pass through unchanged.
import { LDDW, PseudoLd, INSN_BYTES } from "../ebpf/opcode.ts";
import { writeSlot, type Insn, type Program } from "../ebpf/instruction.ts";
import { OffloadSimError } from "../errors.ts";

// The program with every map index replaced by that map's fd.
export function resolveMapReferences(program: Program, mapFds: readonly number[]): Program {
  return program.map((slot, pc) => resolveMapReference(slot, pc, mapFds));
}

// The little-endian instruction bytes BPF_PROG_LOAD reads, map indices resolved.
export function programImage(program: Program, mapFds: readonly number[]): Uint8Array {
  const image = new Uint8Array(program.length * INSN_BYTES);
  resolveMapReferences(program, mapFds).forEach((slot, pc) => writeSlot(image, pc * INSN_BYTES, slot));
  return image;
}

function resolveMapReference(slot: Insn, pc: number, mapFds: readonly number[]): Insn {
  if (slot.opcode !== LDDW) return slot;
  switch (slot.src) {
    case PseudoLd.MAP_IDX:
      return { ...slot, src: PseudoLd.MAP_FD, imm: mapFd(slot.imm, pc, mapFds) };
    case PseudoLd.MAP_IDX_VALUE:
      return { ...slot, src: PseudoLd.MAP_VALUE, imm: mapFd(slot.imm, pc, mapFds) };
    default:
      return slot;
  }
}

function mapFd(index: number, pc: number, mapFds: readonly number[]): number {
  const fd = mapFds[index];
  if (!Number.isInteger(index) || index < 0 || fd === undefined) {
    throw new OffloadSimError(
      `instruction ${pc} loads map #${index}, but only ${mapFds.length} map fd(s) were given to the kernel loader.`,
      { pc },
    );
  }
  return fd;
}
