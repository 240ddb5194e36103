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

// Builds an ElfError whose sentence starts with the place: "prog.o: section 'xdp' at byte 0x40: ...".
export function elfError(where: ElfPosition, problem: string): ElfError {
  const parts = [where.file];
  if (where.section !== undefined) parts.push(`section '${where.section}'`);
  if (where.offset !== undefined) parts.push(`at byte ${hex(where.offset)}`);
  const place = parts.length === 1 ? parts[0] : `${parts[0]}: ${parts.slice(1).join(" ")}`;
  const sentence = problem.endsWith(".") ? problem : `${problem}.`;
  return new ElfError(`${place}: ${sentence}`, where);
}
