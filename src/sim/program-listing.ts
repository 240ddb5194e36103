// The program listing of the report: each eBPF instruction in LLVM syntax,
// the C source line clang recorded for it, where it runs (a NIC stage or the
// host) and how often the host interpreter ran it over the profiled packets.
import { disassembleInstructions, type Program } from "../ebpf/index.ts";
import type { LineInfo } from "../elf/index.ts";
import type { ListingLine } from "../report/schema.ts";

// Instructions listed at most (a listing of a 1M-instruction program helps nobody; the report says it was cut).
export const MAX_LISTING_LINES = 4_096;

export function programListing(
  insns: Program,
  lineInfo: readonly LineInfo[] | undefined,
  hits: Uint32Array,
  stageOf: (pc: number) => number | null,
): ListingLine[] {
  const sourceAt = sourceLines(lineInfo);
  let decoded: ReturnType<typeof disassembleInstructions>;
  try {
    decoded = disassembleInstructions(insns);
  } catch {
    // The verifier accepted the program, so this is not expected; list raw slots rather than fail the report.
    decoded = insns.map((_, pc) => ({ pc, form: undefined as never, text: "(not decodable)" }));
  }
  return decoded.slice(0, MAX_LISTING_LINES).map(({ pc, text }) => ({
    pc,
    text,
    source: sourceAt(pc),
    stage: stageOf(pc),
    hits: hits[pc] ?? 0,
  }));
}

// The source line of each instruction: the last line-info record at or before it, shown only where it changes.
function sourceLines(lineInfo: readonly LineInfo[] | undefined): (pc: number) => string | null {
  const records = [...(lineInfo ?? [])].sort((a, b) => a.pc - b.pc);
  const byPc = new Map(records.map((r) => [r.pc, r]));
  return (pc) => {
    const r = byPc.get(pc);
    return r ? `${r.fileName.split("/").pop()}:${r.line}: ${r.sourceLine.trim()}` : null;
  };
}
