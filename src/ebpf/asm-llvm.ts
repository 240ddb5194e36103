// Parser for the LLVM/kernel assembly syntax: everything print-llvm.ts prints
// (`r1 += 2`, `w1 = (s8)w2`, `if r1 s> r2 goto +3`, `r0 = *(u32 *)(r1 + 4)`,
// `lock *(u64 *)(r1 + 0) += r2`, `r1 = 0 ll`, `call 1`, `call pc+3`, `callx r2`)
// plus labels as jump targets and objdump's `<LBB0_4>` annotations.
import { type AluOpName, type AluWidth, aluOpNames } from "./alu.ts";
import type { Token } from "./asm-lexer.ts";
import { type ParsedInstruction, type TokenCursor, offsetOf, withTarget } from "./asm-cursor.ts";
import type { AtomicOpName } from "./atomic.ts";
import { splitImm64 } from "./instruction.ts";
import { type JumpCondName, jumpCondNames } from "./jump.ts";
import type { SizeBytes } from "./load-store.ts";
import { pseudoLdNames } from "./opcode.ts";
import { aluSymbolOf, condSymbol } from "./print-llvm.ts";
import type { RegisterView } from "./register.ts";

const aluOpOfSymbol = new Map<string, AluOpName>(aluOpNames.filter((op) => op !== "mov").map((op) => [aluSymbolOf(op), op]));
const condOfSymbol = new Map<string, JumpCondName>(jumpCondNames.map((op) => [condSymbol(op), op]));
const ATOMIC_SYMBOLS = new Map<string, AtomicOpName>([["+=", "add"], ["|=", "or"], ["&=", "and"], ["^=", "xor"]]);
const MEM_TYPE_RE = /^([us])(8|16|32|64)$/;
const ENDIAN_RE = /^(le|be|bswap)(16|32|64)$/;
const FETCH_RE = /^atomic_fetch_(add|or|and|xor)$/;

export function parseLlvm(cur: TokenCursor): ParsedInstruction {
  const parsed = parseStatement(cur);
  cur.skipSymbolAnnotation();
  cur.expectEnd();
  return parsed;
}

function parseStatement(cur: TokenCursor): ParsedInstruction {
  const head = cur.peek()!;
  if (head.kind === "ident" && !cur.isRegister()) {
    switch (head.text) {
      case "exit":
        cur.next("exit");
        return { form: { kind: "exit" } };
      case "goto":
      case "gotol": {
        cur.next(head.text);
        const target = cur.jumpTarget(head.text === "goto" ? 16 : 32);
        return withTarget({ kind: "ja", long: head.text === "gotol", offset: offsetOf(target) }, target);
      }
      case "if":
        return parseConditional(cur);
      case "call":
        return parseCall(cur);
      case "callx":
        cur.next("callx");
        return { form: { kind: "callx", dst: cur.register("call target", 64).reg } };
      case "lock":
        return parseLock(cur);
      case "ld_pseudo":
        return parseLdPseudo(cur);
    }
    return cur.fail(`unknown instruction '${head.text}'`, head);
  }
  if (cur.isPunct("*")) return parseStore(cur);
  if (cur.isRegister()) return parseAssignment(cur);
  return cur.fail("expected an instruction", head);
}

// if rA OP rB|imm goto target
function parseConditional(cur: TokenCursor): ParsedInstruction {
  cur.expectIdent("if");
  const dst = cur.register("compared");
  const op = comparison(cur);
  const fromReg = cur.isRegister();
  const src = fromReg ? cur.register("source", dst.view).reg : 0;
  const imm = fromReg ? 0 : cur.imm32();
  cur.expectIdent("goto");
  const target = cur.jumpTarget(16);
  const width: 32 | 64 = dst.view === 32 ? 32 : 64;
  return withTarget({ kind: "jcond", width, op, source: fromReg ? "reg" : "imm", dst: dst.reg, src, imm, offset: offsetOf(target) }, target);
}

function comparison(cur: TokenCursor): JumpCondName {
  const first = cur.next("a comparison");
  let symbol = first.text;
  if (first.kind === "ident" && first.text === "s" && cur.peek()?.kind === "punct") symbol = `s${cur.next("a comparison").text}`;
  const op = condOfSymbol.get(symbol);
  if (op === undefined) cur.fail("expected a comparison (==, !=, >, >=, <, <=, &, s>, s>=, s<, s<=)", first);
  return op;
}

// call 1 (helper) | call pc+3 / call pc-1 (local) | call label (local) | call kfunc 5[, 1]
function parseCall(cur: TokenCursor): ParsedInstruction {
  cur.expectIdent("call");
  if (cur.isIdent("pc") && (cur.isPunct("+", 1) || cur.isPunct("-", 1))) {
    cur.next("pc");
    const target = cur.jumpTarget(32);
    return { form: { kind: "callLocal", offset: offsetOf(target) } };
  }
  if (cur.acceptIdent("kfunc")) {
    const btfId = cur.imm32("a BTF id");
    const btfFdIndex = cur.acceptPunct(",") ? cur.off16("a BTF fd index") : 0;
    return { form: { kind: "callKfunc", btfId, btfFdIndex } };
  }
  if (cur.peek()?.kind === "ident") {
    const target = cur.jumpTarget(32);
    return withTarget({ kind: "callLocal", offset: 0 }, target);
  }
  return { form: { kind: "callHelper", helperId: cur.imm32("a helper id") } };
}

// *(u32 *) — returns the size and whether the type is signed.
function memType(cur: TokenCursor): { sizeBytes: SizeBytes; signed: boolean; token: Token } {
  cur.expectPunct("(");
  const token = cur.next("a memory type such as u32");
  const m = MEM_TYPE_RE.exec(token.text);
  if (token.kind !== "ident" || !m) cur.fail("expected a memory type (u8, u16, u32, u64, s8, s16, s32)", token);
  cur.expectPunct("*");
  cur.expectPunct(")");
  return { sizeBytes: (Number(m[2]) / 8) as SizeBytes, signed: m[1] === "s", token };
}

// rN + off | rN - off | rN (inside parentheses that the caller consumes)
function baseAndOffset(cur: TokenCursor): { reg: number; off: number } {
  const reg = cur.register("address", 64).reg;
  if (cur.isPunct("+") || cur.isPunct("-")) {
    const negative = cur.next("+ or -").text === "-";
    const { value, token } = cur.integer("an offset");
    const off = negative ? -value : value;
    if (off < -0x8000n || off > 0x7fffn) cur.fail(`offset ${off} does not fit 16 bits`, token);
    return { reg, off: Number(off) };
  }
  return { reg, off: 0 };
}

function parenAddress(cur: TokenCursor): { reg: number; off: number } {
  cur.expectPunct("(");
  const at = baseAndOffset(cur);
  cur.expectPunct(")");
  return at;
}

// *(u32 *)(r10 - 8) = r1 | = w1 | = 5
function parseStore(cur: TokenCursor): ParsedInstruction {
  cur.expectPunct("*");
  const type = memType(cur);
  if (type.signed) cur.fail("stores take an unsigned type", type.token);
  const at = parenAddress(cur);
  cur.expectPunct("=");
  if (cur.isRegister()) return { form: { kind: "storeReg", sizeBytes: type.sizeBytes, dst: at.reg, src: cur.register("source").reg, off: at.off } };
  return { form: { kind: "storeImm", sizeBytes: type.sizeBytes, dst: at.reg, off: at.off, imm: cur.imm32() } };
}

// lock *(u64 *)(r1 + 0) += r2
function parseLock(cur: TokenCursor): ParsedInstruction {
  cur.expectIdent("lock");
  cur.expectPunct("*");
  const type = memType(cur);
  if (type.signed || (type.sizeBytes !== 4 && type.sizeBytes !== 8)) cur.fail("atomic operations take u32 or u64", type.token);
  const at = parenAddress(cur);
  const symbol = cur.next("+=, |=, &= or ^=");
  const op = ATOMIC_SYMBOLS.get(symbol.text);
  if (op === undefined) cur.fail("expected +=, |=, &= or ^=", symbol);
  const src = cur.register("source").reg;
  return { form: { kind: "atomic", sizeBytes: type.sizeBytes, op, fetch: false, dst: at.reg, src, off: at.off } };
}

// ld_pseudo r1, KIND, VALUE (VALUE is the 64-bit immediate: next_imm << 32 | imm)
function parseLdPseudo(cur: TokenCursor): ParsedInstruction {
  cur.expectIdent("ld_pseudo");
  const dst = cur.register("destination", 64).reg;
  cur.expectPunct(",");
  const { value: kind, token } = cur.integer("a pseudo kind (0-6)");
  const pseudo = pseudoLdNames[Number(kind)];
  if (kind < 0n || kind > 6n || pseudo === undefined) cur.fail("pseudo kind must be 0-6", token);
  cur.expectPunct(",");
  const { imm, nextImm } = splitImm64(cur.imm64());
  return { form: { kind: "lddw", dst, pseudo, imm, nextImm } };
}

// Everything that starts with a register: rD = ..., rD OP= ...
function parseAssignment(cur: TokenCursor): ParsedInstruction {
  const dst = cur.register("destination");
  const width: AluWidth = dst.view === 32 ? 32 : 64;
  const opToken = cur.next("an assignment");
  let symbol = opToken.text;
  if (opToken.kind === "ident" && opToken.text === "s" && cur.peek()?.kind === "punct") symbol = `s${cur.next("an operator").text}`;
  if (symbol !== "=") {
    const op = aluOpOfSymbol.get(symbol);
    if (op === undefined) cur.fail("expected an assignment such as =, +=, s>>=", opToken);
    if (cur.isRegister()) return { form: { kind: "alu", width, op, source: "reg", dst: dst.reg, src: cur.register("source", dst.view).reg, imm: 0 } };
    return { form: { kind: "alu", width, op, source: "imm", dst: dst.reg, src: 0, imm: cur.imm32() } };
  }
  return parseRightHandSide(cur, dst.reg, dst.view);
}

function parseRightHandSide(cur: TokenCursor, dst: number, view: RegisterView): ParsedInstruction {
  const width: AluWidth = view === 32 ? 32 : 64;
  const sameRegister = (what: string): void => {
    const again = cur.register(what);
    if (again.reg !== dst) cur.fail(`${what} must be the destination register r${dst}`, again.token);
  };
  // rD = -rD
  if (cur.isPunct("-") && cur.isRegister(1)) {
    cur.next("-");
    sameRegister("negated register");
    return { form: { kind: "neg", width, dst } };
  }
  // rD = (s8)rS
  if (cur.isPunct("(") && cur.peek(1)?.kind === "ident" && cur.isPunct(")", 2)) {
    cur.next("(");
    const typeToken = cur.next("s8, s16 or s32");
    const m = /^s(8|16|32)$/.exec(typeToken.text);
    if (!m) cur.fail("expected s8, s16 or s32", typeToken);
    cur.expectPunct(")");
    const src = cur.register("source", view).reg;
    return { form: { kind: "movsx", width, dst, src, fromBits: Number(m[1]) as 8 | 16 | 32 } };
  }
  // rD = *(u32 *)(rS + off) | rD = *(u32 *)skb[...]
  if (cur.isPunct("*")) {
    cur.next("*");
    const type = memType(cur);
    if (cur.acceptIdent("skb")) return parseLegacy(cur, dst, type);
    const at = parenAddress(cur);
    if (type.signed && type.sizeBytes === 8) cur.fail("there is no sign-extending 64-bit load", type.token);
    return { form: { kind: "load", sizeBytes: type.sizeBytes, signed: type.signed, dst, src: at.reg, off: at.off } };
  }
  const head = cur.peek();
  if (head?.kind === "ident" && !cur.isRegister()) {
    let m: RegExpExecArray | null;
    if ((m = ENDIAN_RE.exec(head.text))) {
      cur.next("byte-order operation");
      sameRegister("swapped register");
      return { form: { kind: "endian", op: m[1] as "le" | "be" | "bswap", bits: Number(m[2]) as 16 | 32 | 64, dst } };
    }
    if ((m = FETCH_RE.exec(head.text))) return parseFetch(cur, dst, m[1] as AtomicOpName);
    if (["xchg_64", "xchg32_32", "cmpxchg_64", "cmpxchg32_32"].includes(head.text)) return parseExchange(cur, dst);
    return cur.fail(`unknown operation '${head.text}'`, head);
  }
  // rD = rS
  if (cur.isRegister()) return { form: { kind: "alu", width, op: "mov", source: "reg", dst, src: cur.register("source", view).reg, imm: 0 } };
  // rD = imm ll (lddw) | rD = imm
  if (cur.isInteger() && cur.tokens.some((t) => t.kind === "ident" && t.text === "ll")) {
    if (view === 32) cur.fail("lddw loads a 64-bit register (r, not w)", head);
    const { imm, nextImm } = splitImm64(cur.imm64());
    cur.expectIdent("ll");
    return { form: { kind: "lddw", dst, pseudo: "imm64", imm, nextImm } };
  }
  return { form: { kind: "alu", width, op: "mov", source: "imm", dst, src: 0, imm: cur.imm32() } };
}

// r0 = *(u32 *)skb[12] | skb[r1] | skb[r1 + 12]
function parseLegacy(cur: TokenCursor, dst: number, type: { sizeBytes: SizeBytes; signed: boolean; token: Token }): ParsedInstruction {
  if (dst !== 0) cur.fail("legacy packet loads always load into r0");
  if (type.signed || type.sizeBytes === 8) cur.fail("legacy packet loads take u8, u16 or u32", type.token);
  const sizeBytes = type.sizeBytes as 1 | 2 | 4;
  cur.expectPunct("[");
  if (cur.isRegister()) {
    const src = cur.register("index", 64).reg;
    let imm = 0;
    if (cur.isPunct("+") || cur.isPunct("-")) {
      const negative = cur.next("+ or -").text === "-";
      const value = cur.imm32("an offset");
      imm = negative ? -value | 0 : value;
    }
    cur.expectPunct("]");
    return { form: { kind: "ldLegacy", mode: "ind", sizeBytes, src, imm } };
  }
  const imm = cur.imm32("an offset");
  cur.expectPunct("]");
  return { form: { kind: "ldLegacy", mode: "abs", sizeBytes, src: 0, imm } };
}

// rS = atomic_fetch_add((u64 *)(rD + off), rS)
function parseFetch(cur: TokenCursor, result: number, op: AtomicOpName): ParsedInstruction {
  cur.next("atomic_fetch");
  cur.expectPunct("(");
  const type = memType(cur);
  if (type.signed || (type.sizeBytes !== 4 && type.sizeBytes !== 8)) cur.fail("atomic operations take u32 or u64", type.token);
  const at = parenAddress(cur);
  cur.expectPunct(",");
  const src = cur.register("source");
  if (src.reg !== result) cur.fail(`the fetched value lands in the source register, so the result must be r${src.reg}`, src.token);
  cur.expectPunct(")");
  return { form: { kind: "atomic", sizeBytes: type.sizeBytes, op, fetch: true, dst: at.reg, src: src.reg, off: at.off } };
}

// rS = xchg_64(rD + off, rS) | r0 = cmpxchg_64(rD + off, r0, rS) (and the 32-bit xchg32_32/cmpxchg32_32)
function parseExchange(cur: TokenCursor, result: number): ParsedInstruction {
  const name = cur.next("xchg or cmpxchg").text;
  const sizeBytes = name.endsWith("_64") ? 8 : 4;
  const cmpxchg = name.startsWith("cmpxchg");
  cur.expectPunct("(");
  const at = baseAndOffset(cur);
  cur.expectPunct(",");
  if (cmpxchg) {
    if (result !== 0) cur.fail("cmpxchg returns the old value in r0");
    const compared = cur.register("compared");
    if (compared.reg !== 0) cur.fail("cmpxchg compares with r0", compared.token);
    cur.expectPunct(",");
  }
  const src = cur.register("source");
  if (!cmpxchg && src.reg !== result) cur.fail(`xchg returns the old value in the source register, so the result must be r${src.reg}`, src.token);
  cur.expectPunct(")");
  return { form: { kind: "atomic", sizeBytes, op: cmpxchg ? "cmpxchg" : "xchg", fetch: true, dst: at.reg, src: src.reg, off: at.off } };
}
