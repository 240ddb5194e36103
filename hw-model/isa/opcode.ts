// The microengine instruction set: one table that the assembler, the
// disassembler, the validator, the executor and docs/hw-model.md all follow.
// Every instruction is one row of small integers (see instruction.ts); the
// `format` says which operands it has and in which fields they live.

export const Op = {
  NOP: 0,
  // ALU, two sources (one from bank A, one from bank B, or an 8-bit immediate)
  ADD: 1,
  ADDC: 2,
  SUB: 3,
  SUBC: 4,
  AND: 5,
  OR: 6,
  XOR: 7,
  ANDN: 8,
  // ALU, one source
  NOT: 9,
  MOV: 10,
  // shifter
  SHL: 11,
  SHR: 12,
  ASR: 13,
  ROL: 14,
  DBL_SHR: 15,
  // byte manipulation
  BYTE_EXT: 16,
  LD_FIELD: 17,
  // multiplier
  MUL_START: 18,
  MUL_STEP: 19,
  MUL_LO: 20,
  MUL_HI: 21,
  // immediates
  IMMED: 22,
  IMMED_W1: 23,
  // branches
  BR: 24,
  BEQ: 25,
  BNE: 26,
  BMI: 27,
  BPL: 28,
  BCS: 29,
  BCC: 30,
  BVS: 31,
  BVC: 32,
  BHI: 33,
  BLS: 34,
  BGE: 35,
  BLT: 36,
  BGT: 37,
  BLE: 38,
  BR_BSET: 39,
  BR_BCLR: 40,
  BAL: 41,
  RTN: 42,
  // local memory
  LM_BASE: 43,
  LM_LD: 44,
  LM_ST: 45,
  // memory commands
  MEM_RD: 46,
  MEM_WR: 47,
  MEM_ADD: 48,
  MEM_TADD: 49,
  MEM_TAS: 50,
  CTX_ARB: 51,
  // firmware, CSRs, end of stage
  FWCALL: 52,
  CSR_RD: 53,
  HANDOVER: 54,
  TO_HOST: 55,
  VERDICT: 56,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];
export const OP_COUNT = 57;

// Operand shapes. The comment gives the assembler syntax and the fields used.
export type Format =
  | "none" //    op
  | "alu3" //    op d, a, b            d a b (one of a/b may be #imm8 -> imm)
  | "alu1" //    op d, b               d b
  | "shift" //   op d, a, n            d a; n = #0..31 in imm, or a register in b
  | "dblshift" // op d, a, b, n        d a b; n = #0..31 in imm, or a register in c
  | "byteext" // op d, a, #i           d a imm=byte index 0..3 (0 = least significant)
  | "ldfield" // op d, #mask, b, #rot  d b n=byte mask 0..15 imm=rotate right 0..31
  | "mulstart" // op a, b              a b
  | "dest" //    op d                  d
  | "immed" //   op d, #imm16[, <<s]   d imm n=shift (0, 8 or 16)
  | "branch" //  op label              x=target pc
  | "bitbranch" // op a, #bit, label   a imm=bit x=target
  | "link" //    op d, label           d x=target
  | "jumpreg" // op a                  a
  | "lmbase" //  op lN, a              n=index register a
  | "lmload" //  op d, lN, #off, #w    d n=index imm=offset c=width
  | "lmstore" // op lN, #off, a, #w    n=index imm=offset a c=width
  | "mem" //     op[.le] xK, a, #off, #bytes, sN[, swap]   d=xK a imm=offset c=bytes x=signal
  | "arb" //     op sN[, sM...]        x=signal mask
  | "fwcall" //  op name d, args...    n=routine (fwcall.ts) d, imm=#map, a b c
  | "csr" //     op d, name            d n=CSR number (csr.ts)
  | "handover" // op #ring, #mask, #lmOff, #lmBytes[, #scrOff, #scrBytes]   n=ring imm=live mask x=lmOff|scrOff<<16 c=lmBytes|scrBytes<<16
  | "tohost" //  op #mask, #lmOff, #lmBytes[, #scrOff, #scrBytes]            imm=live mask x, c as handover
  | "verdict"; // op action | op a     n=action (verdict.ts) or -1 with a=register

export interface OpInfo {
  readonly op: OpCode;
  readonly mnemonic: string;
  readonly format: Format;
  // Ends the stage for this packet: nothing after it runs.
  readonly terminal: boolean;
  readonly summary: string;
  // The NFP microengine feature this instruction stands for.
  readonly nfp: string;
}

const row = (op: OpCode, mnemonic: string, format: Format, summary: string, nfp: string, terminal = false): OpInfo => ({
  op,
  mnemonic,
  format,
  terminal,
  summary,
  nfp,
});

export const opTable: readonly OpInfo[] = [
  row(Op.NOP, "nop", "none", "does nothing for one cycle", "nop"),
  row(Op.ADD, "add", "alu3", "d = a + b; C = carry out", "alu[d, a, +, b]"),
  row(Op.ADDC, "addc", "alu3", "d = a + b + C; C = carry out (upper half of a 64-bit add)", "alu[d, a, +carry, b]"),
  row(Op.SUB, "sub", "alu3", "d = a - b; C = borrow out (1 when a < b unsigned)", "alu[d, a, -, b]"),
  row(Op.SUBC, "subc", "alu3", "d = a - b - C; C = borrow out (upper half of a 64-bit subtract)", "alu[d, a, -carry, b]"),
  row(Op.AND, "and", "alu3", "d = a & b", "alu[d, a, AND, b]"),
  row(Op.OR, "or", "alu3", "d = a | b", "alu[d, a, OR, b]"),
  row(Op.XOR, "xor", "alu3", "d = a ^ b", "alu[d, a, XOR, b]"),
  row(Op.ANDN, "andn", "alu3", "d = a & ~b", "alu[d, a, AND~, b]"),
  row(Op.NOT, "not", "alu1", "d = ~b", "alu[d, --, ~B, b]"),
  row(Op.MOV, "mov", "alu1", "d = b", "alu[d, --, B, b]"),
  row(Op.SHL, "shl", "shift", "d = a << n (n = 0..31, or the low 5 bits of a register)", "alu_shf[d, --, B, a, <<n] / indirect shift"),
  row(Op.SHR, "shr", "shift", "d = a >> n, logical", "alu_shf[d, --, B, a, >>n]"),
  row(Op.ASR, "asr", "shift", "d = a >> n, arithmetic (sign-filling)", "asr[d, a, >>n]"),
  row(Op.ROL, "rol", "shift", "d = a rotated left by n", "alu_shf[d, --, B, a, <<rot n]"),
  row(Op.DBL_SHR, "dbl_shr", "dblshift", "d = low 32 bits of ((a:b) >> n), a the upper word", "dbl_shf[d, a, b, >>n]"),
  row(Op.BYTE_EXT, "byte_ext", "byteext", "d = byte i of a, zero-extended (byte 0 is the least significant)", "ld_field_w_clr[d, mask, a, >>rot]"),
  row(Op.LD_FIELD, "ld_field", "ldfield", "for each byte i set in mask: byte i of d = byte i of (b rotated right by rot); other bytes of d kept", "ld_field[d, mask, b, >>rot]"),
  row(Op.MUL_START, "mul_start", "mulstart", "starts an unsigned 32x32 multiply of a and b; four mul_step must follow", "mul_step[a, b], 32x32_start"),
  row(Op.MUL_STEP, "mul_step", "none", "one 8-bit step of the multiply in progress", "mul_step[a, b], 32x32_step1..4"),
  row(Op.MUL_LO, "mul_lo", "dest", "d = low 32 bits of the finished product", "mul_step[d, --], 32x32_last"),
  row(Op.MUL_HI, "mul_hi", "dest", "d = high 32 bits of the finished product", "mul_step[d, --], 32x32_last2"),
  row(Op.IMMED, "immed", "immed", "d = imm16 << s (s = 0, 8 or 16)", "immed[d, imm, <<s]"),
  row(Op.IMMED_W1, "immed_w1", "immed", "upper half of d = imm16; lower half kept", "immed_w1[d, imm]"),
  row(Op.BR, "br", "branch", "jump to label", "br[label]"),
  row(Op.BEQ, "beq", "branch", "jump if Z (equal)", "beq[label]"),
  row(Op.BNE, "bne", "branch", "jump if not Z", "bne[label]"),
  row(Op.BMI, "bmi", "branch", "jump if N (negative)", "bmi[label]"),
  row(Op.BPL, "bpl", "branch", "jump if not N", "bpl[label]"),
  row(Op.BCS, "bcs", "branch", "jump if C (carry; after sub: a < b unsigned); alias blo", "bcs[label]"),
  row(Op.BCC, "bcc", "branch", "jump if not C (after sub: a >= b unsigned); alias bhs", "bcc[label]"),
  row(Op.BVS, "bvs", "branch", "jump if V (signed overflow)", "bvs[label]"),
  row(Op.BVC, "bvc", "branch", "jump if not V", "bvc[label]"),
  row(Op.BHI, "bhi", "branch", "jump if a > b unsigned (not C and not Z, after sub)", "bhi[label]"),
  row(Op.BLS, "bls", "branch", "jump if a <= b unsigned (C or Z, after sub)", "bls[label]"),
  row(Op.BGE, "bge", "branch", "jump if a >= b signed (N = V)", "bge[label]"),
  row(Op.BLT, "blt", "branch", "jump if a < b signed (N != V)", "blt[label]"),
  row(Op.BGT, "bgt", "branch", "jump if a > b signed (not Z and N = V)", "bgt[label]"),
  row(Op.BLE, "ble", "branch", "jump if a <= b signed (Z or N != V)", "ble[label]"),
  row(Op.BR_BSET, "br_bset", "bitbranch", "jump if bit #bit of a is 1", "br_bset[a, bit, label]"),
  row(Op.BR_BCLR, "br_bclr", "bitbranch", "jump if bit #bit of a is 0", "br_bclr[a, bit, label]"),
  row(Op.BAL, "bal", "link", "d = address of the next instruction; jump to label (subroutine call)", "br[label], ld_field of the return address"),
  row(Op.RTN, "rtn", "jumpreg", "jump to the instruction address held in a (subroutine return)", "rtn[a]"),
  row(Op.LM_BASE, "lm_base", "lmbase", "local-memory index register lN = a (a byte offset in the thread's window)", "local_csr_wr[active_lm_addr_N, a]"),
  row(Op.LM_LD, "lm_ld", "lmload", "d = w bytes (1, 2 or 4) of local memory at lN + off, big-endian, zero-extended", "alu[d, --, B, *l$indexN[off]]"),
  row(Op.LM_ST, "lm_st", "lmstore", "w bytes (1, 2 or 4) of local memory at lN + off = low bytes of a, big-endian", "alu[*l$indexN[off], --, B, a]"),
  row(Op.MEM_RD, "mem_rd", "mem", "reads bytes (1, 2 or a multiple of 4 up to 64) at a + off into xK.. and raises signal sN when done", "mem[read, $xfer, a, off, n], sig_done / ctm[read] / cls[read]"),
  row(Op.MEM_WR, "mem_wr", "mem", "writes bytes from xK.. to a + off and raises sN when done", "mem[write, $xfer, a, off, n], sig_done"),
  row(Op.MEM_ADD, "mem_add", "mem", "atomic add of xK (4 bytes) or xK:xK+1 (8 bytes) to memory at a + off; raises sN", "mem[add / add64, $xfer, a, off], atomic engine"),
  row(Op.MEM_TADD, "mem_tadd", "mem", "atomic add that returns the old value in xK (and xK+1)", "mem[test_add / test_add64, $xfer, a, off]"),
  row(Op.MEM_TAS, "mem_tas", "mem", "atomic test-and-set: old word into xK, memory |= xK (4 bytes)", "mem[test_set, $xfer, a, off]"),
  row(Op.CTX_ARB, "ctx_arb", "arb", "swap the thread out until every listed signal has arrived", "ctx_arb[sig...]"),
  row(Op.FWCALL, "fwcall", "fwcall", "call a firmware routine (map lookup/update/delete, packet adjust, random) on this thread", "BPF helper call into NFP firmware routines (nfp bpf JIT)"),
  row(Op.CSR_RD, "csr_rd", "csr", "d = a per-packet status register (packet data pointer, length, ingress port...)", "local_csr_rd / packet metadata in xfer registers"),
  row(Op.HANDOVER, "handover", "handover", "end the stage: put the packet, the live registers, lmBytes of local memory and scrBytes of the scratch window on ring #ring", "mem[qadd_work] / cls ring put (work queue to the next stage)", true),
  row(Op.TO_HOST, "to_host", "tohost", "end offloaded processing: send the packet with the live state to the host stage over PCIe", "packet to host via the PCIe DMA engine", true),
  row(Op.VERDICT, "verdict", "verdict", "end the packet with an XDP action: drop, pass, tx, redirect, aborted, or the action code in a register", "end of the BPF program: packet to NBI egress / to host / freed", true),
];

export const opInfo: readonly OpInfo[] = (() => {
  const byOp: OpInfo[] = [];
  for (const info of opTable) byOp[info.op] = info;
  for (let op = 0; op < OP_COUNT; op++) if (!byOp[op]) throw new Error(`opcode ${op} has no row in opTable`);
  return byOp;
})();

export const opByMnemonic: ReadonlyMap<string, OpInfo> = new Map(opTable.map((info) => [info.mnemonic, info]));

// Assembler spellings that stand for another mnemonic.
export const mnemonicAliases: ReadonlyMap<string, string> = new Map([
  ["blo", "bcs"],
  ["bhs", "bcc"],
]);

export const isBranchOp = (op: number): boolean => op >= Op.BR && op <= Op.BAL;
export const isMemOp = (op: number): boolean => op >= Op.MEM_RD && op <= Op.MEM_TAS;

// Flag bits of the `flags` field.
export const Flag = {
  // Little-endian memory command: each 32-bit word is byte-swapped on its way (NFP *_swap / *_le commands).
  LE: 1,
  // Wait for the command's signal in the same instruction (NFP ctx_swap[sig] token).
  SWAP: 2,
} as const;

// Limits of the encoding.
export const ALU_IMM_MAX = 255;
export const IMMED_MAX = 0xffff;
export const MEM_MAX_BYTES = 64;
// handover/to_host pack two carried ranges in x (offsets) and c (byte counts): local memory in the
// low 16 bits, the thread's scratch window (address region 4) in the bits above.
export const CARRY_SCRATCH_SHIFT = 16;
export const CARRY_FIELD_MAX = 0xffff;
export const carryLm = (field: number): number => field & CARRY_FIELD_MAX;
export const carryScratch = (field: number): number => field >>> CARRY_SCRATCH_SHIFT;
export const packCarry = (lm: number, scratch: number): number => (lm | (scratch << CARRY_SCRATCH_SHIFT)) | 0;
export const LM_OFFSET_MIN = -2048;
export const LM_OFFSET_MAX = 2047;
export const MEM_OFFSET_MIN = -32768;
export const MEM_OFFSET_MAX = 32767;
