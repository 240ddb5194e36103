// The equivalence suite's user-facing errors: bad input to `offload-sim equiv`
// (a program that is not XDP, a malformed --replay token, a core count out of
// range, a program the host interpreter cannot run). One sentence each; the CLI prints it and exits 2.
import { OffloadSimError } from "../errors.ts";

export class EquivInputError extends OffloadSimError {}

// The host interpreter, the reference every side is compared with, could not run the program
// (a helper the simulator does not implement): nothing can be checked.
export class EquivUncheckableError extends OffloadSimError {}
