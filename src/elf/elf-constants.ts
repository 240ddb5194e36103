// ELF64 numbers used by eBPF objects, from the System V gABI (elf.h) and
// LLVM's BPF relocation list (llvm/BinaryFormat/ELFRelocs/BPF.def).

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ET_REL = 1;
export const EM_NONE = 0;
export const EM_BPF = 247;

// Fixed record sizes of ELF64.
export const EHDR_BYTES = 64;
export const SHDR_BYTES = 64;
export const SYM_BYTES = 24;
export const REL_BYTES = 16;
export const RELA_BYTES = 24;

export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  NOBITS: 8,
  REL: 9,
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;

export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

export const R_BPF = {
  NONE: 0,
  R_64_64: 1,
  R_64_ABS64: 2,
  R_64_ABS32: 3,
  R_64_NODYLD32: 4,
  R_64_32: 10,
} as const;

const relocationNames: ReadonlyMap<number, string> = new Map([
  [R_BPF.NONE, "R_BPF_NONE"],
  [R_BPF.R_64_64, "R_BPF_64_64"],
  [R_BPF.R_64_ABS64, "R_BPF_64_ABS64"],
  [R_BPF.R_64_ABS32, "R_BPF_64_ABS32"],
  [R_BPF.R_64_NODYLD32, "R_BPF_64_NODYLD32"],
  [R_BPF.R_64_32, "R_BPF_64_32"],
]);

export const relocationTypeName = (type: number): string => relocationNames.get(type) ?? `R_BPF_unknown_${type}`;
