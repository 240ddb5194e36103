// Errors of the hardware model, one class per kind of user mistake. Each
// message is one sentence naming where the problem is (line:column of the
// microcode source, field path of a preset, stage and pc of an image).
import { OffloadSimError } from "../src/errors.ts";

// A microcode source that does not assemble (position: line, column).
export class MicrocodeAsmError extends OffloadSimError {}

// A preset file that is not valid JSON or does not match the schema (position: file, field).
export class PresetError extends OffloadSimError {}

// A NIC image that cannot be loaded on the card: too large for the code store,
// a map that does not fit its memory unit, a stage on a missing core.
export class ImageError extends OffloadSimError {}
