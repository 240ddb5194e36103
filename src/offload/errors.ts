// Errors of the offload compiler that a user can cause: a program or a plan
// the card cannot take (too large for local memory, maps that fit no memory
// unit, a bad stage count). Each message is one sentence naming the program part.
import { OffloadSimError } from "../errors.ts";

export class OffloadError extends OffloadSimError {}
