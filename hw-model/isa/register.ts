// Operand numbering of the microengine ISA. One number names every register an
// instruction can read or write, so a decoded instruction is a row of small
// integers and the executor indexes one Int32Array with it:
//   0..15   general registers of bank A (a0..a15)
//   16..31  general registers of bank B (b0..b15)
//   32..47  transfer registers (x0..x15), the thread's window on memory commands
//   IMM     the instruction's immediate field
//   NONE    no operand (a `--` destination: compute flags, write nothing)
// As on the NFP in 8-context mode, each thread owns 16 A, 16 B and 16 transfer registers.

export const GPRS_PER_BANK = 16;
export const XFER_REGS = 16;
export const A0 = 0;
export const B0 = 16;
export const X0 = 32;
export const REG_COUNT = 48;
export const IMM = 64;
export const NONE = -1;
// Local-memory index registers per thread (NFP: active_lm_addr_0/1).
export const LM_INDEX_REGS = 2;
// Signals per thread (NFP: 15 usable signal numbers per context; we number 0..15).
export const SIGNALS = 16;

export type Bank = "A" | "B" | "X";

export function bankOf(operand: number): Bank | undefined {
  if (operand >= A0 && operand < B0) return "A";
  if (operand >= B0 && operand < X0) return "B";
  if (operand >= X0 && operand < REG_COUNT) return "X";
  return undefined;
}

export const isRegister = (operand: number): boolean => operand >= 0 && operand < REG_COUNT;
export const isGpr = (operand: number): boolean => operand >= 0 && operand < X0;

export function registerName(operand: number): string {
  if (operand === NONE) return "--";
  if (operand >= A0 && operand < B0) return `a${operand - A0}`;
  if (operand >= B0 && operand < X0) return `b${operand - B0}`;
  if (operand >= X0 && operand < REG_COUNT) return `x${operand - X0}`;
  return `?${operand}`;
}

// The operand number of a register name (a0..a15, b0..b15, x0..x15), or undefined.
export function parseRegister(name: string): number | undefined {
  const m = /^([abx])(\d{1,2})$/.exec(name);
  if (!m) return undefined;
  const index = Number(m[2]);
  if (index >= GPRS_PER_BANK || String(index) !== m[2]) return undefined;
  return (m[1] === "a" ? A0 : m[1] === "b" ? B0 : X0) + index;
}

// Bit i of a live-register mask (handover/to_host) stands for operand i, i.e. a0..a15 then b0..b15.
export function liveMaskNames(mask: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) names.push(registerName(i));
  return names;
}
