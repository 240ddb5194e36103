// The format strings of bpf_snprintf (kernel/bpf/helpers.c bpf_bprintf_prepare,
// Linux 6.18): the one grammar both the verifier (check_bpf_snprintf_call
// checks a constant format at load time) and the helper use. Every byte
// outside a conversion is printable or white space ASCII; a conversion is
// '%' [0+- ]* [1-9][0-9]* then one of
//   d i u x X with an optional l or ll (4 bytes of the u64 argument, 8 with l/ll),
//   c, s or pks or pus (followed by the end, a space or punctuation),
//   p followed by the end, a space or punctuation (which stay part of the format: "%p%d" is two
//   conversions), pK, px, ps, pS (kernel pointers), pB, pi4 pI4 pi6 pI6;
// "%%" is a percent sign. Each conversion takes one u64 of the data array,
// and there may be no more conversions than elements.

export type BprintfIntLetter = "d" | "i" | "u" | "x" | "X";

export type BprintfPiece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "int"; readonly flags: string; readonly width: number; readonly bytes: 4 | 8; readonly letter: BprintfIntLetter }
  | { readonly kind: "char"; readonly flags: string; readonly width: number }
  | { readonly kind: "string"; readonly flags: string; readonly width: number }
  | { readonly kind: "ip"; readonly flags: string; readonly width: number; readonly version: 4 | 6; readonly padded: boolean }
  // %p, %pK, %px, %ps, %pS, %pB: a kernel address or symbol, which the host cannot print as the kernel does.
  | { readonly kind: "kernel-pointer"; readonly spec: string };

// include/linux/bpf.h MAX_BPRINTF_VARARGS: the most u64 arguments bpf_snprintf takes.
export const MAX_BPRINTF_VARARGS = 12;
// include/linux/bpf.h MAX_BPRINTF_BIN_ARGS (kernel/bpf/helpers.c): the bytes of the binary argument buffer.
export const MAX_BPRINTF_BIN_ARGS = 512;

const code = (c: string): number => c.charCodeAt(0);
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
// include/linux/ctype.h _P: the ASCII punctuation characters.
const isPunct = (b: number): boolean => (b >= 0x21 && b <= 0x2f) || (b >= 0x3a && b <= 0x40) || (b >= 0x5b && b <= 0x60) || (b >= 0x7b && b <= 0x7e);
const isPrint = (b: number): boolean => b >= 0x20 && b <= 0x7e;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
// After %s and %ps-like strings the kernel wants the end, a space or punctuation.
const endsWord = (b: number): boolean => b === 0 || isSpace(b) || isPunct(b);

// The format bytes up to (not including) the first NUL, split into pieces; undefined where
// bpf_bprintf_prepare answers -EINVAL (also when it has more conversions than `numArgs`).
export function parseBprintfFormat(format: Uint8Array, numArgs: number): BprintfPiece[] | undefined {
  const end = format.indexOf(0);
  const fmt = end < 0 ? format : format.subarray(0, end);
  // Reads past the end see the terminating NUL, as the kernel's zero-terminated string does.
  const at = (i: number): number => (i < fmt.length ? fmt[i] : 0);
  const pieces: BprintfPiece[] = [];
  let text = "";
  let conversions = 0;
  const flush = (): void => {
    if (text !== "") pieces.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < fmt.length; i++) {
    const b = at(i);
    if ((!isPrint(b) && !isSpace(b)) || b > 0x7f) return undefined;
    if (b !== code("%")) {
      text += String.fromCharCode(b);
      continue;
    }
    if (at(i + 1) === code("%")) {
      text += "%";
      i++;
      continue;
    }
    if (conversions >= numArgs) return undefined;
    conversions++;
    flush();
    i++;
    let flags = "";
    while ("0+- ".includes(String.fromCharCode(at(i))) && at(i) !== 0) flags += String.fromCharCode(at(i++));
    let width = 0;
    if (at(i) >= code("1") && at(i) <= code("9")) {
      while (isDigit(at(i))) width = width * 10 + (at(i++) - code("0"));
    }
    const c = String.fromCharCode(at(i));
    if (c === "p") {
      const next = at(i + 1);
      if ((next === code("k") || next === code("u")) && at(i + 2) === code("s")) {
        i += 2;
        if (!endsWord(at(i + 1))) return undefined;
        pieces.push({ kind: "string", flags, width });
        continue;
      }
      // A bare %p ends at the 'p': the space or punctuation after it is the format's next byte, so a '%' there starts a conversion.
      if (endsWord(next)) {
        pieces.push({ kind: "kernel-pointer", spec: "p" });
        continue;
      }
      if ("KxsS".includes(String.fromCharCode(next))) {
        pieces.push({ kind: "kernel-pointer", spec: `p${String.fromCharCode(next)}` });
        i++;
        continue;
      }
      if (next === code("B")) {
        pieces.push({ kind: "kernel-pointer", spec: "pB" });
        i++;
        continue;
      }
      const version = at(i + 2);
      if ((next !== code("i") && next !== code("I")) || (version !== code("4") && version !== code("6"))) return undefined;
      pieces.push({ kind: "ip", flags, width, version: version === code("4") ? 4 : 6, padded: next === code("i") });
      i += 2;
      continue;
    }
    if (c === "s") {
      if (!endsWord(at(i + 1))) return undefined;
      pieces.push({ kind: "string", flags, width });
      continue;
    }
    if (c === "c") {
      pieces.push({ kind: "char", flags, width });
      continue;
    }
    let bytes: 4 | 8 = 4;
    if (at(i) === code("l")) {
      bytes = 8;
      i++;
    }
    if (at(i) === code("l")) i++;
    const letter = String.fromCharCode(at(i));
    if (!"diuxX".includes(letter) || at(i) === 0) return undefined;
    pieces.push({ kind: "int", flags, width, bytes, letter: letter as BprintfIntLetter });
  }
  flush();
  return pieces;
}

export const conversionCount = (pieces: readonly BprintfPiece[]): number => pieces.filter((p) => p.kind !== "text").length;
