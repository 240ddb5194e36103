// A cursor over one statement's tokens with the operand readers both syntax
// parsers share: registers, integers of a given field width, jump targets.
import { AsmError, type Statement, type Token } from "./asm-lexer.ts";
import type { Instruction } from "./describe.ts";
import { type RegisterView, parseRegisterName } from "./register.ts";

// A jump target: a literal offset in slots, or a label resolved after parsing.
export type JumpTarget = { readonly offset: number } | { readonly label: string; readonly token: Token };

// One parsed instruction; when `target` names a label, its pc-relative field is filled in later.
export interface ParsedInstruction {
  readonly form: Instruction;
  readonly target?: { readonly label: string; readonly token: Token };
}

export const S16_MIN = -0x8000;
export const U16_MAX = 0xffff;
export const S32_MIN = -0x80000000;
export const U32_MAX = 0xffffffff;
const S64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

export class TokenCursor {
  private index = 0;

  constructor(
    private readonly statement: Statement,
    private readonly sourceName: string | undefined,
  ) {}

  get tokens(): readonly Token[] {
    return this.statement.tokens;
  }

  peek(ahead = 0): Token | undefined {
    return this.statement.tokens[this.index + ahead];
  }

  atEnd(): boolean {
    return this.index >= this.statement.tokens.length;
  }

  next(expected: string): Token {
    const token = this.peek();
    if (token === undefined) this.fail(`expected ${expected} but the statement ends`);
    this.index++;
    return token;
  }

  fail(message: string, token?: Token): never {
    const at = token ?? this.peek();
    if (at) throw new AsmError(`${message} (at '${at.text}').`, at.line, at.col, this.sourceName);
    const last = this.statement.tokens[this.statement.tokens.length - 1];
    const col = last ? last.col + last.text.length : 1;
    throw new AsmError(`${message}.`, this.statement.line, col, this.sourceName);
  }

  isPunct(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token !== undefined && token.kind === "punct" && token.text === text;
  }

  isIdent(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token !== undefined && token.kind === "ident" && token.text === text;
  }

  acceptPunct(text: string): boolean {
    if (!this.isPunct(text)) return false;
    this.index++;
    return true;
  }

  acceptIdent(text: string): boolean {
    if (!this.isIdent(text)) return false;
    this.index++;
    return true;
  }

  expectPunct(text: string): Token {
    const token = this.next(`'${text}'`);
    if (token.kind !== "punct" || token.text !== text) this.fail(`expected '${text}'`, token);
    return token;
  }

  expectIdent(text: string): Token {
    const token = this.next(`'${text}'`);
    if (token.kind !== "ident" || token.text !== text) this.fail(`expected '${text}'`, token);
    return token;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token !== undefined) this.fail("unexpected text after the instruction", token);
  }

  // True when the next token is a register name (r1, w1, %r1), whatever its number.
  isRegister(ahead = 0): boolean {
    const token = this.peek(ahead);
    return token !== undefined && token.kind !== "number" && token.kind !== "punct" && parseRegisterName(token.text) !== undefined;
  }

  register(what: string, view?: RegisterView): { reg: number; view: RegisterView; token: Token } {
    const token = this.next(`${what} register`);
    const parsed = token.kind === "number" || token.kind === "punct" ? undefined : parseRegisterName(token.text);
    if (parsed === undefined) this.fail(`expected ${what} register`, token);
    if (parsed.reg > 10) this.fail(`register ${token.text} does not exist (r0-r10 only)`, token);
    if (view !== undefined && parsed.view !== view) this.fail(`expected a ${view}-bit register (${view === 32 ? "w" : "r"}${parsed.reg})`, token);
    return { ...parsed, token };
  }

  // An integer with an optional leading sign, as written.
  integer(what: string): { value: bigint; token: Token } {
    let sign = 1n;
    const first = this.peek();
    if (this.acceptPunct("-")) sign = -1n;
    else this.acceptPunct("+");
    const token = this.next(what);
    if (token.kind !== "number") this.fail(`expected ${what}`, token);
    return { value: sign * BigInt(token.text), token: first ?? token };
  }

  isInteger(): boolean {
    const token = this.peek();
    if (token === undefined) return false;
    if (token.kind === "number") return true;
    return (token.text === "-" || token.text === "+") && this.peek(1)?.kind === "number";
  }

  // A 32-bit immediate; values up to 2^32-1 wrap to their signed 32-bit encoding (0xffffff80 = -128).
  imm32(what = "an immediate"): number {
    const { value, token } = this.integer(what);
    if (value < BigInt(S32_MIN) || value > BigInt(U32_MAX)) this.fail(`${value} does not fit a 32-bit immediate`, token);
    return Number(BigInt.asIntN(32, value));
  }

  // A 16-bit offset; values up to 65535 wrap to their signed encoding.
  off16(what = "an offset"): number {
    const { value, token } = this.integer(what);
    if (value < BigInt(S16_MIN) || value > BigInt(U16_MAX)) this.fail(`${value} does not fit a 16-bit offset`, token);
    return Number(BigInt.asIntN(16, value));
  }

  imm64(what = "a 64-bit immediate"): bigint {
    const { value, token } = this.integer(what);
    if (value < S64_MIN || value > U64_MAX) this.fail(`${value} does not fit 64 bits`, token);
    return BigInt.asUintN(64, value);
  }

  // `+3`, `-3`, `3` or a label name; `bits` is the width of the field the offset goes into.
  jumpTarget(bits: 16 | 32): JumpTarget {
    const token = this.peek();
    if (token !== undefined && token.kind === "ident" && parseRegisterName(token.text) === undefined) {
      this.index++;
      return { label: token.text, token };
    }
    const { value, token: at } = this.integer("a jump offset or label");
    const min = bits === 16 ? BigInt(S16_MIN) : BigInt(S32_MIN);
    const max = bits === 16 ? 0x7fffn : 0x7fffffffn;
    if (value < min || value > max) this.fail(`jump offset ${value} does not fit the ${bits}-bit offset field`, at);
    return { offset: Number(value) };
  }

  // objdump appends `<LBB0_4>` after jump targets; it carries no information, so it is skipped.
  skipSymbolAnnotation(): void {
    if (this.isPunct("<") && this.peek(1)?.kind === "ident" && this.isPunct(">", 2)) this.index += 3;
  }
}

export const withTarget = (form: Instruction, target: JumpTarget): ParsedInstruction =>
  "label" in target ? { form, target: { label: target.label, token: target.token } } : { form };

// The literal offset of a target, or 0 as a placeholder until its label is resolved.
export const offsetOf = (target: JumpTarget): number => ("offset" in target ? target.offset : 0);
