import { OffloadSimError } from "../errors.ts";

// A program this verifier cannot judge as the kernel would (a construct it
// does not model): not a verdict, so the CLI exits 2 with this sentence
// instead of claiming an acceptance or a rejection the kernel may not share.
export class VerifierUnsupportedError extends OffloadSimError {
  constructor(
    readonly pc: number,
    readonly what: string,
    programName?: string,
  ) {
    super(`${programName ? `program '${programName}', ` : ""}instruction ${pc}: ${what}; this verifier cannot give the kernel's verdict on it`, { pc });
  }
}
