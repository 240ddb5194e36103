// The assembler: text in either syntax (LLVM/kernel `r1 += 2`, or the
// bpf_conformance mnemonics `add %r1, 2`, freely mixed line by line) → Program.
// Labels (`name:`) work in both; jump/call targets may name them. As in
// bpf_conformance, a target named `exit` with no such label means the first
// exit instruction. Errors are AsmErrors naming line and column.
import { AsmError, type Statement, type Token, tokenize } from "./asm-lexer.ts";
import { type ParsedInstruction, TokenCursor } from "./asm-cursor.ts";
import { parseLlvm } from "./asm-llvm.ts";
import { isMnemonicWord, parseMnemonic } from "./asm-mnemonic.ts";
import { type Instruction, invalidReason, slotCount, toSlots } from "./describe.ts";
import type { Insn, Program } from "./instruction.ts";

export { AsmError };

export interface AssembleOptions {
  // Named in error messages, e.g. the .s file's path.
  readonly sourceName?: string;
}

interface Placed {
  readonly parsed: ParsedInstruction;
  readonly pc: number;
  readonly head: Token;
}

export function assemble(text: string, opts: AssembleOptions = {}): Program {
  const sourceName = opts.sourceName;
  const labels = new Map<string, number>();
  const placed: Placed[] = [];
  let pc = 0;
  let firstExitPc: number | undefined;

  for (const statement of tokenize(text, sourceName)) {
    const cur = new TokenCursor(stripLabels(statement, labels, () => pc, sourceName), sourceName);
    if (cur.atEnd() || isDirective(cur)) continue;
    const head = cur.peek()!;
    const parsed = parseStatement(cur);
    if (parsed.form.kind === "exit" && firstExitPc === undefined) firstExitPc = pc;
    placed.push({ parsed, pc, head });
    pc += slotCount(parsed.form);
  }

  const slots: Insn[] = [];
  for (const { parsed, pc: at, head } of placed) {
    const form = parsed.target ? resolve(parsed, at, labels, firstExitPc, sourceName) : parsed.form;
    const encoded = toSlots(form);
    const reason = invalidReason(encoded[0], encoded[1]);
    if (reason !== undefined) {
      throw new AsmError(`this instruction has no valid encoding: ${reason}.`, head.line, head.col, sourceName);
    }
    slots.push(...encoded);
  }
  return slots;
}

function parseStatement(cur: TokenCursor): ParsedInstruction {
  const head = cur.peek()!;
  const word = head.text;
  // `call`, `lock` and `exit` exist in both syntaxes; the token after them decides.
  if (word === "call") {
    const after = cur.peek(1);
    // `call 5` means the same helper call in both syntaxes.
    const mnemonicCall = after !== undefined && (after.kind === "reg" || after.kind === "number" || ["local", "helper", "runtime", "-", "+"].includes(after.text));
    return mnemonicCall ? parseMnemonic(cur) : parseLlvm(cur);
  }
  if (word === "lock") return cur.isPunct("*", 1) ? parseLlvm(cur) : parseMnemonic(cur);
  if (head.kind === "ident" && isMnemonicWord(word) && !cur.isPunct("=", 1)) return parseMnemonic(cur);
  return parseLlvm(cur);
}

// Records `name:` labels at the start of a statement (several may precede one instruction).
function stripLabels(statement: Statement, labels: Map<string, number>, pc: () => number, sourceName?: string): Statement {
  let tokens = statement.tokens;
  while (tokens.length >= 2 && tokens[0].kind === "ident" && tokens[1].kind === "punct" && tokens[1].text === ":") {
    const name = tokens[0];
    if (labels.has(name.text)) throw new AsmError(`label '${name.text}' is defined twice.`, name.line, name.col, sourceName);
    labels.set(name.text, pc());
    tokens = tokens.slice(2);
  }
  return { tokens, line: statement.line };
}

// Assembler directives (`.text`, `.globl prog`) carry nothing the instruction stream needs.
function isDirective(cur: TokenCursor): boolean {
  const head = cur.peek();
  return head !== undefined && head.kind === "ident" && head.text.startsWith(".");
}

function resolve(parsed: ParsedInstruction, pc: number, labels: Map<string, number>, firstExitPc: number | undefined, sourceName?: string): Instruction {
  const target = parsed.target!;
  const targetPc = labels.get(target.label) ?? (target.label === "exit" ? firstExitPc : undefined);
  if (targetPc === undefined) throw new AsmError(`label '${target.label}' is not defined.`, target.token.line, target.token.col, sourceName);
  const offset = targetPc - (pc + 1);
  const form = parsed.form;
  const fits16 = offset >= -0x8000 && offset <= 0x7fff;
  const tooFar = (): never => {
    throw new AsmError(`label '${target.label}' is ${offset} slots away, beyond the 16-bit jump offset (use gotol for long jumps).`, target.token.line, target.token.col, sourceName);
  };
  switch (form.kind) {
    case "ja":
      if (!form.long && !fits16) tooFar();
      return { ...form, offset };
    case "jcond":
      if (!fits16) tooFar();
      return { ...form, offset };
    case "callLocal":
      return { ...form, offset };
    case "lddw":
      return { ...form, imm: offset };
    default:
      throw new AsmError(`a ${form.kind} instruction takes no label.`, target.token.line, target.token.col, sourceName);
  }
}
