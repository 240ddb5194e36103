// The verifier's verdict as the offload compiler's precondition: the card only
// takes programs the kernel's verifier accepted (nfp offload runs after it), and
// the verifier's facts sharpen what the compiler can prove by itself.
import type { BpfObject, BpfProgram } from "../elf/index.ts";
import { OffloadSimError } from "../errors.ts";
import { verifierMapsFor, verify, verifyOptionsFor } from "../verifier/index.ts";
import type { VerifierFacts } from "./analysis.ts";
import { factsFromVerifier } from "./verifier-facts.ts";

export class ProgramRejectedError extends OffloadSimError {}

export function verifiedFacts(object: BpfObject, program: BpfProgram): VerifierFacts {
  // The options libbpf would load this program with: attach type, BTF func info, global functions.
  const verdict = verify(program.insns, verifierMapsFor(object), { ...verifyOptionsFor(object, program), logLevel: 0 });
  if (!verdict.accepted) {
    const e = verdict.error;
    const where = e && e.llvmText ? ` at instruction ${e.pc} (${e.llvmText})` : e ? ` at instruction ${e.pc}` : "";
    throw new ProgramRejectedError(`${object.fileName}: the verifier rejects program ${program.name}${where}: ${e?.message ?? "rejected"}.`, { file: object.fileName, pc: e?.pc ?? 0 });
  }
  return factsFromVerifier(verdict);
}
