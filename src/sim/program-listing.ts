// The program listing of the report: each eBPF instruction in LLVM syntax,
// the C source line clang recorded for it, where it runs (a NIC stage or the
// host) and how often the host interpreter ran it over the profiled packets.
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
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
  objectFile?: string,
): ListingLine[] {
  const sourceAt = sourceLines(lineInfo, objectFile);
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

// The source line of each instruction where it changes: the C text from the line info, or, when
// clang left it out, from the source file (beside the object, or where the line info names it).
function sourceLines(lineInfo: readonly LineInfo[] | undefined, objectFile: string | undefined): (pc: number) => string | null {
  const records = [...(lineInfo ?? [])].sort((a, b) => a.pc - b.pc);
  const byPc = new Map(records.map((r) => [r.pc, r]));
  const files = new Map<string, readonly string[] | undefined>();
  const textOf = (r: LineInfo): string => {
    if (r.sourceLine.trim() !== "") return r.sourceLine.trim();
    if (!files.has(r.fileName)) files.set(r.fileName, readLines([r.fileName, ...(objectFile ? [join(dirname(objectFile), basename(r.fileName))] : [])]));
    return files.get(r.fileName)?.[r.line - 1]?.trim() ?? "";
  };
  let last = "";
  return (pc) => {
    const r = byPc.get(pc);
    if (!r) return null;
    const where = `${basename(r.fileName)}:${r.line}`;
    if (where === last) return null;
    last = where;
    const text = textOf(r);
    return text ? `${where}: ${text}` : where;
  };
}

function readLines(candidates: readonly string[]): readonly string[] | undefined {
  for (const file of candidates) {
    try {
      return readFileSync(file, "utf8").split("\n");
    } catch {
      // Not there: try the next place, or list without the text.
    }
  }
  return undefined;
}
