// bpf_strncmp (kernel/bpf/helpers.c): strncmp(s1, s2, s1_sz) with the
// kernel's lib/string.c strncmp, which answers -1, 0 or 1 (not the difference
// of the bytes). s2 is a NUL-terminated constant string in read-only map
// memory; s1 is s1_sz readable bytes.
import { isMemoryAccessError } from "../interp/fault.ts";
import { isOutcome, readBytes } from "./args.ts";
import { memoryError, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

export function strncmp(call: HelperCall): HelperOutcome {
  const [s1Address, sizeArg, s2Address] = call.args;
  const count = Number(BigInt.asUintN(32, sizeArg));
  const s1 = readBytes(call, s1Address, count);
  if (isOutcome(s1)) return s1;
  for (let i = 0; i < count; i++) {
    const c2 = call.machine.memory.load(s2Address + BigInt(i), 1);
    if (isMemoryAccessError(c2)) return memoryError(c2);
    const c1 = s1[i];
    if (c1 !== Number(c2)) return returns(c1 < Number(c2) ? -1 : 1);
    if (c1 === 0) break;
  }
  return returns(0);
}
