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
// The context loads of the packet's edges: a 4-byte load of xdp_md's data,
// data_end or data_meta through a register that holds the context at a fixed
// offset on every path gives the packet pointer, computed inline from the XDP
// buffer's offsets (src/xdp/context.ts xdpContextFields) without the context
// region's slow path.
//
// Only for a program the verifier accepted, run on an XDP packet: the facts
// say nothing about other programs or inputs.
import { Class, Mode, opClass, opMode, opSize, sizeBytes } from "../ebpf/opcode.ts";
import type { Program } from "../ebpf/instruction.ts";
import type { VerifierResult } from "../verifier/index.ts";
import { XdpMdOffset } from "../xdp/context.ts";

// The XdpBuffer field behind each pointer field of xdp_md.
export type PacketEdge = "data" | "dataEnd" | "dataMeta";
const EDGE_AT = new Map<bigint, PacketEdge>([
  [BigInt(XdpMdOffset.DATA), "data"],
  [BigInt(XdpMdOffset.DATA_END), "dataEnd"],
  [BigInt(XdpMdOffset.DATA_META), "dataMeta"],
]);

export interface AccessProofs {
  // pcs of loads and stores proved inside the packet (data..data_end).
  readonly packetInBounds: ReadonlySet<number>;
  // pcs of context loads of a packet edge, with the edge.
  readonly packetEdges: ReadonlyMap<number, PacketEdge>;
}

export const NO_PROOFS: AccessProofs = { packetInBounds: new Set(), packetEdges: new Map() };

const PACKET_POINTER = "pkt";
const CONTEXT_POINTER = "ctx";

export function accessProofs(program: Program, verdict: VerifierResult): AccessProofs {
  if (!verdict.accepted) return NO_PROOFS;
  const packetInBounds = new Set<number>();
  const packetEdges = new Map<number, PacketEdge>();
  for (const fact of verdict.insns) {
    if (!fact.reachable) continue;
    const insn = program[fact.pc];
    if (insn === undefined) continue;
    const cls = opClass(insn.opcode);
    const plain = (cls === Class.LDX && (opMode(insn.opcode) === Mode.MEM || opMode(insn.opcode) === Mode.MEMSX)) || ((cls === Class.ST || cls === Class.STX) && opMode(insn.opcode) === Mode.MEM);
    if (!plain) continue;
    const base = fact.regs[cls === Class.LDX ? insn.src : insn.dst];
    if (cls === Class.LDX && opMode(insn.opcode) === Mode.MEM && sizeBytes[opSize(insn.opcode)] === 4 && base?.kind === "ptr" && base.type === CONTEXT_POINTER && base.offset.smin === base.offset.smax) {
      const edge = EDGE_AT.get(base.offset.smin + BigInt(insn.off));
      if (edge !== undefined) packetEdges.set(fact.pc, edge);
      continue;
    }
    if (base === undefined || base.kind !== "ptr" || base.type !== PACKET_POINTER || base.packetRange === undefined) continue;
    const size = BigInt(sizeBytes[opSize(insn.opcode)]);
    const off = BigInt(insn.off);
    if (base.offset.smin + off >= 0n && base.offset.umax + off + size <= BigInt(base.packetRange)) packetInBounds.add(fact.pc);
  }
  return { packetInBounds, packetEdges };
}
