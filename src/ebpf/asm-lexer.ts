// Splits assembly text into statements of tokens, each token knowing its
// line and column for error messages. Shared by both syntaxes: `#` and `//`
// start a comment, `/* */` comments may span lines, `;` separates statements
// on one line (as in LLVM inline asm and kernel selftests).
import { OffloadSimError } from "../errors.ts";

export type TokenKind = "ident" | "number" | "reg" | "punct";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

export interface Statement {
  readonly tokens: readonly Token[];
  readonly line: number;
}

export class AsmError extends OffloadSimError {
  constructor(message: string, readonly line: number, readonly column: number, sourceName?: string) {
    super(`${sourceName ?? "assembly"}:${line}:${column}: ${message}`, { line, column, ...(sourceName ? { file: sourceName } : {}) });
  }
}

// Operators, longest first so that `<<=` wins over `<<` and `<`.
const OPERATORS = [
  "<<=", ">>=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "==", "!=", ">=", "<=", "<<", ">>",
  "=", ">", "<", "&", "+", "-", "*", "/", "%", "|", "^", "!", "[", "]", "(", ")", ",", ":",
];

const isIdentStart = (c: string): boolean => /[A-Za-z_.$]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_.$]/.test(c);

export function tokenize(text: string, sourceName?: string): Statement[] {
  const statements: Statement[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  let inBlockComment = false;
  lines.forEach((lineText, index) => {
    const line = index + 1;
    let tokens: Token[] = [];
    const flush = (): void => {
      if (tokens.length > 0) statements.push({ tokens, line });
      tokens = [];
    };
    let i = 0;
    while (i < lineText.length) {
      const c = lineText[i];
      if (inBlockComment) {
        const end = lineText.indexOf("*/", i);
        if (end < 0) return flush();
        inBlockComment = false;
        i = end + 2;
        continue;
      }
      if (c === " " || c === "\t" || c === "\f" || c === "\v") {
        i++;
        continue;
      }
      if (c === "#" || lineText.startsWith("//", i)) break;
      if (lineText.startsWith("/*", i)) {
        inBlockComment = true;
        i += 2;
        continue;
      }
      if (c === ";") {
        flush();
        i++;
        continue;
      }
      const col = i + 1;
      if (c === "%" && i + 1 < lineText.length && /[A-Za-z]/.test(lineText[i + 1])) {
        let j = i + 1;
        while (j < lineText.length && isIdentPart(lineText[j])) j++;
        tokens.push({ kind: "reg", text: lineText.slice(i, j), line, col });
        i = j;
        continue;
      }
      if (isIdentStart(c)) {
        let j = i;
        while (j < lineText.length && isIdentPart(lineText[j])) j++;
        tokens.push({ kind: "ident", text: lineText.slice(i, j), line, col });
        i = j;
        continue;
      }
      if (/[0-9]/.test(c)) {
        let j = i;
        while (j < lineText.length && /[0-9A-Za-z_]/.test(lineText[j])) j++;
        const word = lineText.slice(i, j);
        if (!/^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)$/.test(word)) {
          throw new AsmError(`malformed number '${word}'.`, line, col, sourceName);
        }
        tokens.push({ kind: "number", text: word, line, col });
        i = j;
        continue;
      }
      const op = OPERATORS.find((candidate) => lineText.startsWith(candidate, i));
      if (op === undefined) throw new AsmError(`unexpected character '${c}'.`, line, col, sourceName);
      tokens.push({ kind: "punct", text: op, line, col });
      i += op.length;
    }
    flush();
  });
  return statements;
}
