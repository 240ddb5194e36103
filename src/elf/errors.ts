import { OffloadSimError } from "../errors.ts";

// Where in an object file a problem sits. `offset` is the absolute byte offset
// in the file when one is known; `section` is the section's name (or its index
// when the name itself could not be read).
export interface ElfPosition {
  readonly file: string;
  readonly section?: string;
  readonly offset?: number;
}

// A malformed or unsupported ELF object. The message is one sentence that
// already names the file, the section and/or the byte offset, and what was expected.
export class ElfError extends OffloadSimError {
  constructor(message: string, where: ElfPosition) {
    const position: Record<string, string | number> = { file: where.file };
    if (where.section !== undefined) position.section = where.section;
    if (where.offset !== undefined) position.offset = where.offset;
    super(message, position);
  }
}

export const hex = (value: number): string => `0x${value.toString(16)}`;

// Builds an ElfError whose sentence starts with the place:
// "prog.o: section '.relxdp', byte 0x1a40: the section has sh_entsize 3, expected 16...".
export function elfError(where: ElfPosition, problem: string): ElfError {
  const place = [
    ...(where.section !== undefined ? [`section '${where.section}'`] : []),
    ...(where.offset !== undefined ? [`byte ${hex(where.offset)}`] : []),
  ].join(", ");
  const sentence = problem.endsWith(".") ? problem : `${problem}.`;
  return new ElfError(place === "" ? `${where.file}: ${sentence}` : `${where.file}: ${place}: ${sentence}`, where);
}
