// The equivalence suite's user-facing errors: bad input to `offload-sim equiv`
// (a program that is not XDP, a malformed --replay token, a core count out of
// range). One sentence each; the CLI prints it and exits 2.
import { OffloadSimError } from "../errors.ts";

export class EquivInputError extends OffloadSimError {}
