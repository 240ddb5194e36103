// What the verifier proved that the compiled tier can use: the packet
// accesses that always fall between data and data_end. For those the
// generated code skips the region lookup and the bounds check and reads or
// writes the packet's bytes directly.
//
// The proof, per load or store at pc through a register that holds a packet
// pointer on every path (the verifier's facts join all visits): with the
// pointer's whole offset from data in [smin, umax] and the access at insn.off
// of `size` bytes, smin + off >= 0 keeps it at or after data, and
// umax + off + size <= range keeps it before data_end, where range is what the
// verifier's comparisons with data_end proved (src/verifier/reg-state.ts: the
// bytes [pointer - fixed offset, + range) lie before data_end; the variable
// part is never negative in an accepted program, so the whole offset bounds
// the fixed one from above).
//
// Only for a program the verifier accepted, run on an XDP packet: the facts
// say nothing about other programs or inputs.
import { Class, Mode, opClass, opMode, opSize, sizeBytes } from "../ebpf/opcode.ts";
import type { Program } from "../ebpf/instruction.ts";
import type { VerifierResult } from "../verifier/index.ts";

export interface AccessProofs {
  // pcs of loads and stores proved inside the packet (data..data_end).
  readonly packetInBounds: ReadonlySet<number>;
}

export const NO_PROOFS: AccessProofs = { packetInBounds: new Set() };

const PACKET_POINTER = "pkt";

export function accessProofs(program: Program, verdict: VerifierResult): AccessProofs {
  if (!verdict.accepted) return NO_PROOFS;
  const packetInBounds = new Set<number>();
  for (const fact of verdict.insns) {
    if (!fact.reachable) continue;
    const insn = program[fact.pc];
    if (insn === undefined) continue;
    const cls = opClass(insn.opcode);
    const plain = (cls === Class.LDX && (opMode(insn.opcode) === Mode.MEM || opMode(insn.opcode) === Mode.MEMSX)) || ((cls === Class.ST || cls === Class.STX) && opMode(insn.opcode) === Mode.MEM);
    if (!plain) continue;
    const base = fact.regs[cls === Class.LDX ? insn.src : insn.dst];
    if (base === undefined || base.kind !== "ptr" || base.type !== PACKET_POINTER || base.packetRange === undefined) continue;
    const size = BigInt(sizeBytes[opSize(insn.opcode)]);
    const off = BigInt(insn.off);
    if (base.offset.smin + off >= 0n && base.offset.umax + off + size <= BigInt(base.packetRange)) packetInBounds.add(fact.pc);
  }
  return { packetInBounds };
}
