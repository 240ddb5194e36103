import { SHF, SHT } from "./elf-constants.ts";
import type { ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { ElfSection } from "./section-table.ts";

// Which section plays which part, decided by name, type and flags the way
// libbpf's bpf_object__elf_collect does.

export type DataKind = "data" | "rodata" | "bss";

export interface DataSection {
  readonly section: ElfSection;
  readonly kind: DataKind;
}

export interface ObjectLayout {
  readonly text?: ElfSection; // ".text": bpf-to-bpf subprograms
  readonly code: readonly ElfSection[]; // executable sections holding programs, .text included
  readonly btfMaps?: ElfSection; // ".maps"
  readonly legacyMaps?: ElfSection; // "maps"
  readonly data: readonly DataSection[];
  readonly license?: ElfSection;
  readonly version?: ElfSection;
  readonly btf?: ElfSection;
  readonly btfExt?: ElfSection;
}

const isDwarf = (name: string): boolean => name.startsWith(".debug_");

function ignored(s: ElfSection): boolean {
  if (s.index === 0 || s.type === SHT.NULL || s.type === SHT.STRTAB || s.type === SHT.LLVM_ADDRSIG) return true;
  if (s.type === SHT.PROGBITS && s.size === 0 && s.name === ".text") return true;
  if (isDwarf(s.name)) return true;
  if (s.name.startsWith(".rel")) {
    const target = s.name.slice(".rel".length);
    return isDwarf(target) || target === ".BTF" || target === ".BTF.ext";
  }
  return false;
}

const hasPrefixOrIs = (name: string, base: string): boolean => name === base || name.startsWith(`${base}.`);

export function layoutOf(elf: ElfFile): ObjectLayout {
  const code: ElfSection[] = [];
  const data: DataSection[] = [];
  const named = new Map<string, ElfSection>();
  for (const s of elf.sections) {
    if (ignored(s)) continue;
    if (["license", "version", "maps", ".maps", ".BTF", ".BTF.ext"].includes(s.name)) {
      if ((s.name === ".BTF" || s.name === ".BTF.ext") && s.type !== SHT.PROGBITS) {
        throw elfError({ file: elf.fileName, section: s.name, offset: s.headerOffset + 4 }, `the section has type ${s.type}, expected 1 (SHT_PROGBITS)`);
      }
      if (named.has(s.name)) {
        throw elfError({ file: elf.fileName, section: s.name, offset: s.headerOffset }, "the section appears twice, expected one section of that name");
      }
      named.set(s.name, s);
    } else if (s.type === SHT.PROGBITS && s.size > 0) {
      if (s.flags & SHF.EXECINSTR) code.push(s);
      else if (hasPrefixOrIs(s.name, ".data")) data.push({ section: s, kind: "data" });
      else if (hasPrefixOrIs(s.name, ".rodata")) data.push({ section: s, kind: "rodata" });
    } else if (s.type === SHT.NOBITS && hasPrefixOrIs(s.name, ".bss")) {
      data.push({ section: s, kind: "bss" });
    }
  }
  return {
    text: code.find((s) => s.name === ".text"),
    code,
    btfMaps: named.get(".maps"),
    legacyMaps: named.get("maps"),
    data,
    license: named.get("license"),
    version: named.get("version"),
    btf: named.get(".BTF"),
    btfExt: named.get(".BTF.ext"),
  };
}
