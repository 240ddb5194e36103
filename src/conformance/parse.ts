// The bpf_conformance test-vector format (`.data` files): sections opened by
// a line `-- <name>`. What each section means, as bpf_conformance's
// bpf_test_parser.cc reads it:
//   asm                 program text in the conformance mnemonics; `#` starts a comment
//   raw                 the program as 64-bit words (one slot each, opcode in the low byte);
//                       when present it is the program, and `asm` only documents it
//   mem                 hex bytes of the input memory (r1 = its address, r2 = its length)
//   result              expected r0 (hex with 0x, else decimal); the last line counts
//   error               the program must fail to load or run (the text is the plugin's message)
//   error pattern       same, with a pattern instead of a literal message (ubpf's variant)
//   c                   the C source the program came from: documentation only
//   no register offset  a note for JITs (calls through registers): no effect on the result
// Lines before the first section are comments. Any other section name is an
// error, not silently skipped.
import { OffloadSimError } from "../errors.ts";

export class ConformanceFormatError extends OffloadSimError {}

export type Expectation =
  | { readonly kind: "result"; readonly value: bigint }
  | { readonly kind: "error"; readonly text: string }
  | { readonly kind: "error-pattern"; readonly pattern: string };

export interface ConformanceCase {
  readonly source: string;
  // The asm section with comments removed, padded with blank lines so that
  // assembler line numbers are the file's.
  readonly asm?: string;
  readonly raw?: readonly bigint[];
  readonly memory: Uint8Array;
  readonly expected: Expectation;
}

type SectionName = "asm" | "raw" | "mem" | "result" | "error" | "error pattern" | "c" | "no register offset";
const SECTION_NAMES: readonly SectionName[] = ["asm", "raw", "mem", "result", "error", "error pattern", "c", "no register offset"];

const U64_LIMIT = 1n << 64n;

export function parseConformance(text: string, source: string): ConformanceCase {
  const fail = (line: number, what: string): never => {
    throw new ConformanceFormatError(`${source}:${line}: ${what}.`, { file: source, line });
  };
  const lines = text.split(/\r?\n/);
  const bodies = new Map<SectionName, { readonly firstLine: number; readonly lines: string[] }>();
  let current: SectionName | undefined;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    const header = /^--\s*(.*?)\s*$/.exec(line);
    if (header) {
      const name = header[1] as SectionName;
      if (!SECTION_NAMES.includes(name)) fail(lineNumber, `unknown section '-- ${header[1]}' (known: ${SECTION_NAMES.join(", ")})`);
      if (bodies.has(name)) fail(lineNumber, `section '-- ${name}' appears twice`);
      bodies.set(name, { firstLine: lineNumber + 1, lines: [] });
      current = name;
      return;
    }
    if (current === undefined) {
      if (line.trim() !== "" && !line.trimStart().startsWith("#")) fail(lineNumber, "text before the first '-- section' line");
      return;
    }
    bodies.get(current)!.lines.push(line);
  });

  const asmBody = bodies.get("asm");
  const asm = asmBody ? "\n".repeat(asmBody.firstLine - 1) + asmBody.lines.map((l) => l.replace(/#.*$/, "")).join("\n") : undefined;
  const rawBody = bodies.get("raw");
  const raw = rawBody ? words(rawBody.lines, rawBody.firstLine, fail) : undefined;
  if (asm === undefined && raw === undefined) fail(lines.length, "no '-- asm' or '-- raw' section: there is no program");
  const memBody = bodies.get("mem");
  const memory = memBody ? hexBytes(memBody.lines, memBody.firstLine, fail) : new Uint8Array(0);
  return { source, ...(asm === undefined ? {} : { asm }), ...(raw === undefined ? {} : { raw }), memory, expected: expectation(bodies, lines.length, fail) };
}

type Fail = (line: number, what: string) => never;

function expectation(bodies: Map<SectionName, { firstLine: number; lines: string[] }>, lastLine: number, fail: Fail): Expectation {
  const lastText = (name: SectionName): { text: string; line: number } | undefined => {
    const body = bodies.get(name);
    if (!body) return undefined;
    for (let i = body.lines.length - 1; i >= 0; i--) {
      const text = body.lines[i].trim();
      if (text !== "") return { text, line: body.firstLine + i };
    }
    return { text: "", line: body.firstLine };
  };
  const result = lastText("result");
  const error = lastText("error");
  const pattern = lastText("error pattern");
  if ([result, error, pattern].filter((x) => x !== undefined).length > 1) fail(lastLine, "more than one of '-- result', '-- error', '-- error pattern'");
  if (error) return { kind: "error", text: error.text };
  if (pattern) return { kind: "error-pattern", pattern: pattern.text };
  if (!result || result.text === "") return fail(result?.line ?? lastLine, "no expected '-- result' (or '-- error')");
  return { kind: "result", value: integer(result.text, result.line, fail) };
}

// 0x-prefixed hex or decimal, optionally negative (taken modulo 2^64 as strtoull does).
function integer(text: string, line: number, fail: Fail): bigint {
  const match = /^(-?)(0[xX][0-9a-fA-F]+|\d+)$/.exec(text);
  if (!match) return fail(line, `'${text}' is not a number`);
  const magnitude = BigInt(match[2]);
  if (magnitude >= U64_LIMIT) fail(line, `'${text}' does not fit 64 bits`);
  return BigInt.asUintN(64, match[1] === "-" ? -magnitude : magnitude);
}

function words(lines: readonly string[], firstLine: number, fail: Fail): bigint[] {
  const out: bigint[] = [];
  lines.forEach((line, i) => {
    for (const token of line.replace(/#.*$/, "").split(/\s+/).filter((t) => t !== "")) out.push(integer(token, firstLine + i, fail));
  });
  return out;
}

function hexBytes(lines: readonly string[], firstLine: number, fail: Fail): Uint8Array {
  const out: number[] = [];
  lines.forEach((line, i) => {
    for (const token of line.replace(/#.*$/, "").split(/\s+/).filter((t) => t !== "")) {
      if (!/^(0[xX])?[0-9a-fA-F]{1,2}$/.test(token)) fail(firstLine + i, `'${token}' is not a hex byte`);
      out.push(parseInt(token, 16));
    }
  });
  return Uint8Array.from(out);
}
