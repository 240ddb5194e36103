// Program → raw bytes, the inverse of decodeProgram: 8 bytes per slot.
import { type Program, writeSlot } from "./instruction.ts";
import { INSN_BYTES } from "./opcode.ts";

export interface EncodeOptions {
  readonly littleEndian?: boolean;
}

export function encodeProgram(program: Program, opts: EncodeOptions = {}): Uint8Array {
  const out = new Uint8Array(program.length * INSN_BYTES);
  program.forEach((slot, pc) => writeSlot(out, pc * INSN_BYTES, slot, opts.littleEndian ?? true));
  return out;
}
