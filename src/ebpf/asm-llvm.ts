// Parser for the LLVM/kernel assembly syntax (`r1 += 2`, `if r1 > r2 goto +3`).
import type { ParsedInstruction, TokenCursor } from "./asm-cursor.ts";

export function parseLlvm(cur: TokenCursor): ParsedInstruction {
  return cur.fail("the LLVM syntax is not accepted yet; use the mnemonic syntax", cur.peek());
}
