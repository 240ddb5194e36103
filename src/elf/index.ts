// The ELF loader's public surface.
export { loadObject } from "./load-object.ts";
export type { BpfObject, BpfProgram, BtfSummary, ExternRef, FunctionSpan, LineInfo, Relocation, RelocationTarget } from "./bpf-object.ts";
export { ElfError } from "./errors.ts";
export { readElf, type ElfFile } from "./elf-file.ts";
export { matchSection, sectionDefs, type SectionDef } from "./section-defs.ts";
export { progTypeNames, attachTypeNames, type ProgTypeName, type AttachTypeName } from "./prog-types.ts";
export type { FuncArg, FunctionSignature } from "./func-signatures.ts";
export type { InitialSlot, SlotTarget } from "./map-slots.ts";
export type { CoreRelocation, CoreKindName } from "./core-relocations.ts";
