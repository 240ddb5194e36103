// Parser for the mnemonic syntax of the bpf_conformance test vectors
// (`mov32 %r0, 1`, `ldxw %r0, [%r1+4]`, `jne %r0, 15, fail`, `lock fetch add [%r10-8], %r1`),
// extended to reach every encoding: `ldabsw`/`ldindw`, `lddw` pseudo kinds,
// `call runtime` (kfunc) with a BTF fd index. See docs/isa.md.
import type { AluOpName, AluWidth } from "./alu.ts";
import { aluOpNames } from "./alu.ts";
import type { Token } from "./asm-lexer.ts";
import { type ParsedInstruction, type TokenCursor, offsetOf, withTarget } from "./asm-cursor.ts";
import { type AtomicOpName, atomicOpList } from "./atomic.ts";
import { splitImm64 } from "./instruction.ts";
import { type JumpCondName, jumpCondNames } from "./jump.ts";
import type { SizeBytes } from "./load-store.ts";
import type { PseudoLdName } from "./opcode.ts";

// Words that start a mnemonic-syntax statement (other than the pattern families below).
const FIXED_MNEMONICS = new Set(["exit", "ja", "ja32", "call", "callx", "lock", "lddw"]);

const SIZE_OF_SUFFIX: Readonly<Record<string, SizeBytes>> = { b: 1, h: 2, w: 4, dw: 8 };

const ALU_RE = new RegExp(`^(${aluOpNames.join("|")})(32|64)?$`);
const JCOND_RE = new RegExp(`^(${jumpCondNames.join("|")})(32)?$`);
const ATOMIC_RE = new RegExp(`^(${atomicOpList.join("|")})(32|64)?$`);
const NEG_RE = /^neg(32|64)?$/;
const MOVSX_RE = /^movsx(8|16|32)(32|64)$/;
const ENDIAN_RE = /^(le|be|swap|bswap)(16|32|64)$/;
const LDX_RE = /^ldx(s?)(b|h|w|dw)$/;
const ST_RE = /^st(x?)(b|h|w|dw)$/;
const LEGACY_RE = /^ld(abs|ind)(b|h|w)$/;

// Pseudo-kind keywords accepted after `lddw %rN,` (snake case, as in the kernel's BPF_PSEUDO_* names).
const PSEUDO_WORDS: Readonly<Record<string, PseudoLdName>> = {
  map_fd: "mapFd",
  map_value: "mapValue",
  btf_id: "btfId",
  func: "func",
  map_idx: "mapIdx",
  map_idx_value: "mapIdxValue",
};
export const pseudoWordOf: Readonly<Record<PseudoLdName, string>> = {
  imm64: "",
  mapFd: "map_fd",
  mapValue: "map_value",
  btfId: "btf_id",
  func: "func",
  mapIdx: "map_idx",
  mapIdxValue: "map_idx_value",
};

// True when `word` (the statement's first token) is a mnemonic of this syntax.
export function isMnemonicWord(word: string): boolean {
  return (
    FIXED_MNEMONICS.has(word) || ALU_RE.test(word) || JCOND_RE.test(word) || NEG_RE.test(word) ||
    MOVSX_RE.test(word) || ENDIAN_RE.test(word) || LDX_RE.test(word) || ST_RE.test(word) || LEGACY_RE.test(word)
  );
}

const widthOf = (suffix: string | undefined): AluWidth => (suffix === "32" ? 32 : 64);

export function parseMnemonic(cur: TokenCursor): ParsedInstruction {
  const head = cur.next("a mnemonic");
  const word = head.text;
  let m: RegExpExecArray | null;
  const done = (parsed: ParsedInstruction): ParsedInstruction => {
    cur.expectEnd();
    return parsed;
  };

  switch (word) {
    case "exit":
      return done({ form: { kind: "exit" } });
    case "ja":
    case "ja32": {
      const target = cur.jumpTarget(word === "ja" ? 16 : 32);
      return done(withTarget({ kind: "ja", long: word === "ja32", offset: offsetOf(target) }, target));
    }
    case "call":
      return done(parseCall(cur));
    case "callx":
      return done({ form: { kind: "callx", dst: cur.register("call target").reg } });
    case "lock":
      return done(parseLock(cur));
    case "lddw":
      return done(parseLddw(cur));
  }

  if ((m = NEG_RE.exec(word))) return done({ form: { kind: "neg", width: widthOf(m[1]), dst: cur.register("destination").reg } });

  if ((m = MOVSX_RE.exec(word))) {
    const fromBits = Number(m[1]) as 8 | 16 | 32;
    const width = widthOf(m[2]);
    const dst = cur.register("destination").reg;
    cur.expectPunct(",");
    const src = cur.register("source").reg;
    if (width === 32 && fromBits === 32) cur.fail("movsx3232 does not exist: a 32-bit move sign-extends only 8 or 16 bits", head);
    return done({ form: { kind: "movsx", width, dst, src, fromBits } });
  }

  if ((m = ENDIAN_RE.exec(word))) {
    const op = m[1] === "le" || m[1] === "be" ? m[1] : "bswap";
    return done({ form: { kind: "endian", op, bits: Number(m[2]) as 16 | 32 | 64, dst: cur.register("destination").reg } });
  }

  if ((m = ALU_RE.exec(word))) {
    const op = m[1] as AluOpName;
    const width = widthOf(m[2]);
    const dst = cur.register("destination").reg;
    cur.expectPunct(",");
    if (cur.isRegister()) return done({ form: { kind: "alu", width, op, source: "reg", dst, src: cur.register("source").reg, imm: 0 } });
    return done({ form: { kind: "alu", width, op, source: "imm", dst, src: 0, imm: cur.imm32() } });
  }

  if ((m = JCOND_RE.exec(word))) {
    const op = m[1] as JumpCondName;
    const width = m[2] === "32" ? 32 : 64;
    const dst = cur.register("compared").reg;
    cur.expectPunct(",");
    const fromReg = cur.isRegister();
    const src = fromReg ? cur.register("source").reg : 0;
    const imm = fromReg ? 0 : cur.imm32();
    cur.expectPunct(",");
    const target = cur.jumpTarget(16);
    return done(withTarget({ kind: "jcond", width, op, source: fromReg ? "reg" : "imm", dst, src, imm, offset: offsetOf(target) }, target));
  }

  if ((m = LDX_RE.exec(word))) {
    const sizeBytes = SIZE_OF_SUFFIX[m[2]];
    const signed = m[1] === "s";
    if (signed && sizeBytes === 8) cur.fail("ldxsdw does not exist: sign-extending loads are b, h or w", head);
    const dst = cur.register("destination").reg;
    cur.expectPunct(",");
    const mem = parseMemory(cur);
    return done({ form: { kind: "load", sizeBytes, signed, dst, src: mem.reg, off: mem.off } });
  }

  if ((m = ST_RE.exec(word))) {
    const sizeBytes = SIZE_OF_SUFFIX[m[2]];
    const mem = parseMemory(cur);
    cur.expectPunct(",");
    if (m[1] === "x") return done({ form: { kind: "storeReg", sizeBytes, dst: mem.reg, src: cur.register("source").reg, off: mem.off } });
    return done({ form: { kind: "storeImm", sizeBytes, dst: mem.reg, off: mem.off, imm: cur.imm32() } });
  }

  if ((m = LEGACY_RE.exec(word))) {
    const sizeBytes = SIZE_OF_SUFFIX[m[2]] as 1 | 2 | 4;
    if (m[1] === "abs") return done({ form: { kind: "ldLegacy", mode: "abs", sizeBytes, src: 0, imm: cur.imm32() } });
    const src = cur.register("index").reg;
    cur.expectPunct(",");
    return done({ form: { kind: "ldLegacy", mode: "ind", sizeBytes, src, imm: cur.imm32() } });
  }

  return cur.fail(`unknown mnemonic '${word}'`, head);
}

// `[%r1+4]`, `[%r10-8]`, `[%r1]`
function parseMemory(cur: TokenCursor): { reg: number; off: number } {
  cur.expectPunct("[");
  const reg = cur.register("address").reg;
  const off = cur.isPunct("]") ? 0 : cur.off16("an offset such as +4 or -8");
  cur.expectPunct("]");
  return { reg, off };
}

// call 1 | call helper 1 | call local +3 | call local label | call runtime 7 [, 1] | call kfunc 7 | call %r2 | call helper %r2
function parseCall(cur: TokenCursor): ParsedInstruction {
  if (cur.acceptIdent("local")) {
    const target = cur.jumpTarget(32);
    return withTarget({ kind: "callLocal", offset: offsetOf(target) }, target);
  }
  if (cur.acceptIdent("runtime") || cur.acceptIdent("kfunc")) {
    const btfId = cur.imm32("a BTF id");
    const btfFdIndex = cur.acceptPunct(",") ? cur.off16("a BTF fd index") : 0;
    return { form: { kind: "callKfunc", btfId, btfFdIndex } };
  }
  cur.acceptIdent("helper");
  if (cur.isRegister()) return { form: { kind: "callx", dst: cur.register("call target").reg } };
  return { form: { kind: "callHelper", helperId: cur.imm32("a helper id") } };
}

// lock [fetch] add[32] [%r10-8], %r1 | lock xchg[32] ... | lock cmpxchg[32] ...
function parseLock(cur: TokenCursor): ParsedInstruction {
  const fetchWord = cur.acceptIdent("fetch");
  const opToken: Token = cur.next("an atomic operation");
  const m = ATOMIC_RE.exec(opToken.text);
  if (opToken.kind !== "ident" || !m) cur.fail("expected add, or, and, xor, xchg or cmpxchg", opToken);
  const op = m[1] as AtomicOpName;
  const always = op === "xchg" || op === "cmpxchg";
  if (fetchWord && always) cur.fail(`${op} always fetches; drop 'fetch'`, opToken);
  const mem = parseMemory(cur);
  cur.expectPunct(",");
  const src = cur.register("source").reg;
  return { form: { kind: "atomic", sizeBytes: m[2] === "32" ? 4 : 8, op, fetch: fetchWord || always, dst: mem.reg, src, off: mem.off } };
}

// lddw %r1, 0x1122334455667788 | lddw %r1, map_fd 3 | lddw %r1, map_value 3, 16 | lddw %r1, func +4 (or a label)
function parseLddw(cur: TokenCursor): ParsedInstruction {
  const dst = cur.register("destination").reg;
  cur.expectPunct(",");
  const kindToken = cur.peek();
  const pseudo = kindToken?.kind === "ident" ? PSEUDO_WORDS[kindToken.text] : undefined;
  if (pseudo === undefined) {
    const { imm, nextImm } = splitImm64(cur.imm64());
    return { form: { kind: "lddw", dst, pseudo: "imm64", imm, nextImm } };
  }
  cur.next("a pseudo kind");
  if (pseudo === "func") {
    const target = cur.jumpTarget(32);
    return withTarget({ kind: "lddw", dst, pseudo, imm: offsetOf(target), nextImm: 0 }, target);
  }
  const imm = cur.imm32(pseudo === "btfId" ? "a BTF id" : "a map fd or index");
  const nextImm = cur.acceptPunct(",") ? cur.imm32("the second immediate (value offset or BTF fd)") : 0;
  return { form: { kind: "lddw", dst, pseudo, imm, nextImm } };
}

