// The eBPF opcode byte, as RFC 9669 lays it out: the low three bits are the
// instruction class; for ALU/JMP classes bit 3 is the source (K = immediate,
// X = register) and the high four bits the operation; for load/store classes
// bits 3-4 are the access size and the high three bits the mode.
// Every other module (decoder, encoder, disassembler, assembler, verifier,
// interpreter, offload compiler) reads these tables; none redefines them.

export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
export type ClassCode = (typeof Class)[keyof typeof Class];

export const Source = { K: 0x00, X: 0x08 } as const;

export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export type AluOpCode = (typeof AluOp)[keyof typeof AluOp];

export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;
export type JmpOpCode = (typeof JmpOp)[keyof typeof JmpOp];

export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type SizeCode = (typeof Size)[keyof typeof Size];

export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
export type ModeCode = (typeof Mode)[keyof typeof Mode];

// Byte-order instructions: in class ALU the source bit picks the target order;
// in class ALU64 with source K it is the unconditional byte swap (RFC 9669 v4).
export const EndSource = { TO_LE: 0x00, TO_BE: 0x08 } as const;

// Atomic operations live in the imm field of STX|ATOMIC instructions.
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;

// The src field of a 64-bit immediate load (LD|IMM|DW) says what imm means.
export const PseudoLd = {
  IMM64: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;
export type PseudoLdKind = (typeof PseudoLd)[keyof typeof PseudoLd];

// The src field of a CALL says what imm names.
export const PseudoCall = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

export const opClass = (opcode: number): ClassCode => (opcode & 0x07) as ClassCode;
export const opSource = (opcode: number): number => opcode & 0x08;
export const opCode = (opcode: number): number => opcode & 0xf0;
export const opSize = (opcode: number): SizeCode => (opcode & 0x18) as SizeCode;
export const opMode = (opcode: number): ModeCode => (opcode & 0xe0) as ModeCode;

export const sizeBytes: Readonly<Record<SizeCode, 1 | 2 | 4 | 8>> = {
  [Size.B]: 1,
  [Size.H]: 2,
  [Size.W]: 4,
  [Size.DW]: 8,
};

export const isAluClass = (cls: number): boolean => cls === Class.ALU || cls === Class.ALU64;
export const isJmpClass = (cls: number): boolean => cls === Class.JMP || cls === Class.JMP32;
export const isLoadStoreClass = (cls: number): boolean => cls <= Class.STX;

// The LD|IMM|DW opcode that spans two 8-byte slots.
export const LDDW = Class.LD | Mode.IMM | Size.DW;

export interface AluOpInfo {
  readonly name: string;
  // The operator in LLVM/kernel syntax (`r1 += r2`); undefined for neg/end.
  readonly symbol?: string;
}

export const aluOps: ReadonlyMap<number, AluOpInfo> = new Map<number, AluOpInfo>([
  [AluOp.ADD, { name: "add", symbol: "+=" }],
  [AluOp.SUB, { name: "sub", symbol: "-=" }],
  [AluOp.MUL, { name: "mul", symbol: "*=" }],
  [AluOp.DIV, { name: "div", symbol: "/=" }],
  [AluOp.OR, { name: "or", symbol: "|=" }],
  [AluOp.AND, { name: "and", symbol: "&=" }],
  [AluOp.LSH, { name: "lsh", symbol: "<<=" }],
  [AluOp.RSH, { name: "rsh", symbol: ">>=" }],
  [AluOp.NEG, { name: "neg" }],
  [AluOp.MOD, { name: "mod", symbol: "%=" }],
  [AluOp.XOR, { name: "xor", symbol: "^=" }],
  [AluOp.MOV, { name: "mov", symbol: "=" }],
  [AluOp.ARSH, { name: "arsh", symbol: "s>>=" }],
  [AluOp.END, { name: "end" }],
]);

export interface JmpOpInfo {
  readonly name: string;
  // The comparison in LLVM/kernel syntax (`if r1 s> r2 goto +3`); undefined for ja/call/exit.
  readonly symbol?: string;
  readonly signed?: boolean;
}

export const jmpOps: ReadonlyMap<number, JmpOpInfo> = new Map<number, JmpOpInfo>([
  [JmpOp.JA, { name: "ja" }],
  [JmpOp.JEQ, { name: "jeq", symbol: "==" }],
  [JmpOp.JGT, { name: "jgt", symbol: ">" }],
  [JmpOp.JGE, { name: "jge", symbol: ">=" }],
  [JmpOp.JSET, { name: "jset", symbol: "&" }],
  [JmpOp.JNE, { name: "jne", symbol: "!=" }],
  [JmpOp.JSGT, { name: "jsgt", symbol: "s>", signed: true }],
  [JmpOp.JSGE, { name: "jsge", symbol: "s>=", signed: true }],
  [JmpOp.CALL, { name: "call" }],
  [JmpOp.EXIT, { name: "exit" }],
  [JmpOp.JLT, { name: "jlt", symbol: "<" }],
  [JmpOp.JLE, { name: "jle", symbol: "<=" }],
  [JmpOp.JSLT, { name: "jslt", symbol: "s<", signed: true }],
  [JmpOp.JSLE, { name: "jsle", symbol: "s<=", signed: true }],
]);

export const atomicOpNames: ReadonlyMap<number, string> = new Map([
  [AtomicOp.ADD, "add"],
  [AtomicOp.OR, "or"],
  [AtomicOp.AND, "and"],
  [AtomicOp.XOR, "xor"],
  [AtomicOp.ADD | AtomicOp.FETCH, "fetch_add"],
  [AtomicOp.OR | AtomicOp.FETCH, "fetch_or"],
  [AtomicOp.AND | AtomicOp.FETCH, "fetch_and"],
  [AtomicOp.XOR | AtomicOp.FETCH, "fetch_xor"],
  [AtomicOp.XCHG, "xchg"],
  [AtomicOp.CMPXCHG, "cmpxchg"],
]);

// Registers r0..r10; r10 is the read-only frame pointer.
export const REG_COUNT = 11;
export const FRAME_POINTER = 10;
// Each eBPF instruction slot is 8 bytes.
export const INSN_BYTES = 8;

// ---- Encodings added for the full RFC 9669 set (v3/v4) and its well-known extensions ----

// In ALU/ALU64, DIV and MOD with off = 1 are the signed variants SDIV and SMOD (RFC 9669 §4.1).
export const SIGNED_DIVMOD_OFF = 1;
// MOV|X with off = 8/16/32 is MOVSX: sign-extend the low `off` bits of src (RFC 9669 §4.1).
// ALU (32-bit) admits 8 and 16 only; ALU64 admits all three.
export const MOVSX_BITS_ALU = [8, 16] as const;
export const MOVSX_BITS_ALU64 = [8, 16, 32] as const;
// Widths (imm) accepted by the byte-order instructions.
export const ENDIAN_BITS = [16, 32, 64] as const;

// Whole opcodes that stand alone (class | op | source).
export const JA = Class.JMP | JmpOp.JA | Source.K; // 0x05: goto +off
export const JA32 = Class.JMP32 | JmpOp.JA | Source.K; // 0x06: gotol +imm (RFC 9669 §4.3)
export const CALL = Class.JMP | JmpOp.CALL | Source.K; // 0x85: src picks helper/local/kfunc
// 0x8d: indirect call through a register. Not in RFC 9669; LLVM (>= 19) and
// bpf_conformance put the register in dst, LLVM 14 put it in imm.
export const CALLX = Class.JMP | JmpOp.CALL | Source.X;
export const EXIT = Class.JMP | JmpOp.EXIT | Source.K; // 0x95

// The pseudo kinds of lddw by name, as RFC 9669 §5.4 describes them:
// mapFd/mapIdx name a map, mapValue/mapIdxValue point into its value (next_imm
// is the offset), btfId is a kernel variable, func a code address (imm = pc-relative).
export const pseudoLdNames = ["imm64", "mapFd", "mapValue", "btfId", "func", "mapIdx", "mapIdxValue"] as const;
export type PseudoLdName = (typeof pseudoLdNames)[number];
// Pseudo kinds whose second slot imm (next_imm) carries meaning; for the others it must be zero.
export const pseudoLdUsesNextImm: ReadonlySet<number> = new Set([
  PseudoLd.IMM64,
  PseudoLd.MAP_VALUE,
  PseudoLd.BTF_ID,
  PseudoLd.MAP_IDX_VALUE,
]);

// Atomic operations: the low bit of imm is FETCH; the rest picks the operation.
export const ATOMIC_FETCH = AtomicOp.FETCH;

// Load/store size suffixes and C types, as the two assembly syntaxes spell them.
export const sizeSuffix: Readonly<Record<SizeCode, "b" | "h" | "w" | "dw">> = {
  [Size.B]: "b",
  [Size.H]: "h",
  [Size.W]: "w",
  [Size.DW]: "dw",
};
export const sizeCodeOfBytes: Readonly<Record<1 | 2 | 4 | 8, SizeCode>> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };

// Register numbers usable as operands (r0..r10).
export const isRegisterNumber = (reg: number): boolean => Number.isInteger(reg) && reg >= 0 && reg < REG_COUNT;
