// Raw bytes → validated Program (the kernel's slot array). Every slot is
// checked against RFC 9669's encodings; the first invalid one stops decoding
// with an EbpfDecodeError naming its index and byte offset.
import { OffloadSimError } from "../errors.ts";
import { classify } from "./describe.ts";
import { type Insn, type Program, readSlot } from "./instruction.ts";
import { INSN_BYTES, LDDW } from "./opcode.ts";

export interface DecodeOptions {
  // Byte order of the encoding; eBPF objects for bpfel are little-endian (the default).
  readonly littleEndian?: boolean;
  // Named in error messages (e.g. "prog.bin" or "prog.o section xdp").
  readonly sourceName?: string;
  // Added to byte offsets in error messages, for bytes cut out of a larger file.
  readonly baseOffset?: number;
}

export class EbpfDecodeError extends OffloadSimError {
  constructor(message: string, readonly pc: number, readonly byteOffset: number, readonly reason: string) {
    super(message, { pc, offset: byteOffset });
  }
}

// The error for an invalid instruction at `pc`, its byte offset derived from the 8-byte slot size.
export function decodeErrorAt(reason: string, pc: number, opts: DecodeOptions = {}): EbpfDecodeError {
  const byteOffset = (opts.baseOffset ?? 0) + pc * INSN_BYTES;
  const where = opts.sourceName ? `${opts.sourceName}: ` : "";
  return new EbpfDecodeError(`${where}invalid eBPF instruction ${pc} at byte offset ${byteOffset} (0x${byteOffset.toString(16)}): ${reason}.`, pc, byteOffset, reason);
}

// Decodes and validates a whole program. The second slot of each lddw stays in
// the result (with opcode 0), so indices are the pcs jumps count in.
function fail(reason: string, pc: number, opts: DecodeOptions): never {
  throw decodeErrorAt(reason, pc, opts);
}

export function decodeProgram(bytes: Uint8Array, opts: DecodeOptions = {}): Program {
  const littleEndian = opts.littleEndian ?? true;
  if (bytes.length % INSN_BYTES !== 0) {
    const pc = Math.floor(bytes.length / INSN_BYTES);
    fail(`${bytes.length} bytes is not a whole number of 8-byte instructions (${bytes.length % INSN_BYTES} bytes left over)`, pc, opts);
  }
  const slots: Insn[] = [];
  for (let at = 0; at < bytes.length; at += INSN_BYTES) slots.push(readSlot(bytes, at, littleEndian));
  validateProgram(slots, opts);
  return slots;
}

// Validates slots already in memory (e.g. built by hand or read from an ELF section).
export function validateProgram(slots: Program, opts: DecodeOptions = {}): void {
  for (let pc = 0; pc < slots.length; pc++) {
    const form = classify(slots[pc], slots[pc + 1]);
    if (typeof form === "string") fail(form, pc, opts);
    if (slots[pc].opcode === LDDW) pc++;
  }
}
