// The base of every user-facing error: one sentence that already names where
// the problem is (file, byte offset, instruction index, line:column). Each
// layer subclasses it (ElfError, AsmError, PcapError...); the CLI prints the
// message as it is and exits with status 2 (bad input).
export class OffloadSimError extends Error {
  // Machine-readable position, e.g. { file: "prog.o", offset: 0x1a0 } or { pc: 12 }.
  readonly position: Readonly<Record<string, string | number>>;

  constructor(message: string, position: Readonly<Record<string, string | number>> = {}) {
    super(message);
    this.name = new.target.name;
    this.position = position;
  }
}
