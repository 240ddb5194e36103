// The simulation driver's user-facing errors: bad input to a run or a sweep
// (a flag out of range, an empty capture, a part of the pipeline that refuses
// the program). One sentence each; the CLI prints it and exits 2.
import { OffloadSimError } from "../errors.ts";

export class SimInputError extends OffloadSimError {}
