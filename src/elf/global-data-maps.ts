import { MapType, type MapDef } from "../maps/types.ts";
import { slice } from "./byte-region.ts";
import { btfType, BtfVarLinkage, findDatasec, type Btf, type BtfType, type BtfVarSecinfo } from "./btf.ts";
import { recordedSpinLockOffset, SPIN_LOCK_TYPE_NAME, spinLocksIn } from "./btf-maps.ts";
import { STB, STT, STV } from "./elf-constants.ts";
import { contents, type ElfFile } from "./elf-file.ts";
import type { ElfSection } from "./section-table.ts";
import { elfError } from "./errors.ts";
import type { DataSection } from "./object-layout.ts";
import type { PlacedMap } from "./placed-map.ts";

// Global variables become one-element array maps, one per .data*, .rodata*
// and .bss* section, holding the section's bytes (libbpf's
// bpf_object__init_internal_map). Programs address them with
// BPF_PSEUDO_MAP_*_VALUE loads at an offset into that single value.

// Map-creation flags from include/uapi/linux/bpf.h.
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_MMAPABLE = 1 << 10;
const GLOBAL_DATA_KEY_BYTES = 4;
// The kernel refuses array values larger than KMALLOC_MAX_SIZE (array_map_alloc_check in
// kernel/bpf/arraymap.c), which is 4 MiB with 4 KiB pages; a bigger .bss cannot be a map.
const MAX_VALUE_BYTES = 4 << 20;

export function readGlobalDataMaps(elf: ElfFile, sections: readonly DataSection[], btf: Btf | undefined): PlacedMap[] {
  return sections.map(({ section, kind }) => {
    if (section.size > MAX_VALUE_BYTES) {
      throw elfError(
        { file: elf.fileName, section: section.name, offset: section.headerOffset + 32 },
        `the section is ${section.size} bytes, more than the ${MAX_VALUE_BYTES}-byte largest map value the kernel accepts for global data`,
      );
    }
    const readOnly = kind === "rodata";
    const spinLockOffsetBytes = btf === undefined ? undefined : recordedSpinLockOffset(datasecSpinLocks(elf, section, btf));
    const flags = (readOnly ? BPF_F_RDONLY_PROG : 0) | (exposesGlobals(elf, section.name, btf) ? BPF_F_MMAPABLE : 0);
    const def: MapDef = {
      name: section.name,
      type: MapType.ARRAY,
      keySize: GLOBAL_DATA_KEY_BYTES,
      valueSize: section.size,
      maxEntries: 1,
      flags,
      initialValue: kind === "bss" ? new Uint8Array(section.size) : slice(contents(elf, section)).slice(),
      // libbpf freezes .rodata maps after writing their contents.
      ...(readOnly ? { frozen: true } : {}),
      ...(spinLockOffsetBytes === undefined ? {} : { spinLockOffsetBytes }),
    };
    return { def, sectionIndex: section.index, offset: 0, origin: "global-data" as const };
  });
}

// libbpf makes the map mmap-able when its DATASEC has a global variable that
// is not hidden (map_is_mmapable), i.e. one a skeleton would expose.
function exposesGlobals(elf: ElfFile, sectionName: string, btf: Btf | undefined): boolean {
  const datasec = btf && findDatasec(btf, sectionName);
  if (!btf || !datasec) return false;
  return (datasec.secinfos ?? []).some((info) => {
    const variable = btfType(btf, info.type, `a variable of DATASEC '${sectionName}'`);
    if (variable.kind !== "var" || variable.linkage === BtfVarLinkage.STATIC || variable.linkage === BtfVarLinkage.GLOBAL_EXTERN) return false;
    const symbol = elf.symbolTable.symbols.find(
      (s) => s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.name === variable.name,
    );
    return !(symbol && (symbol.visibility === STV.HIDDEN || symbol.visibility === STV.INTERNAL));
  });
}

// The locks among a section's variables, as the kernel finds them in the DATASEC that is the map's
// value type (kernel/bpf/btf.c btf_find_datasec_var): a variable of type struct bpf_spin_lock, or the
// locks inside a struct variable. A second lock variable is -E2BIG (one seen mask for the whole
// DATASEC), which leaves the map without a lock: undefined. Offsets are those libbpf gives the kernel
// (btf_fixup_datasec): a global variable's from its ELF symbol when clang left the DATASEC unsized,
// a static one's as clang wrote it.
function datasecSpinLocks(elf: ElfFile, section: ElfSection, btf: Btf): number[] | undefined {
  const datasec = findDatasec(btf, section.name);
  if (datasec === undefined) return [];
  const what = `a variable of DATASEC '${section.name}'`;
  const placed = (datasec.secinfos ?? []).flatMap((info) => {
    const variable = btfType(btf, info.type, what);
    if (variable.kind !== "var") return [];
    const offset = variableOffset(elf, section, variable, info, datasec.sizeOrType !== 0);
    // The variable's own type: a `const volatile` or typedef'd lock is no lock to the kernel (measured, Linux 6.18).
    return offset === undefined ? [] : [{ offset, type: btfType(btf, variable.sizeOrType, what) }];
  });
  placed.sort((a, b) => a.offset - b.offset);
  const found: number[] = [];
  let lockVariables = 0;
  for (const { offset, type } of placed) {
    if (type.kind !== "struct") continue;
    if (type.name === SPIN_LOCK_TYPE_NAME) {
      if (++lockVariables > 1) return undefined;
      found.push(offset);
      continue;
    }
    const nested = spinLocksIn(btf, type.id, what);
    if (nested === undefined) return undefined;
    found.push(...nested.map((inner) => offset + inner));
  }
  return found;
}

// A variable's offset in its section as libbpf hands it to the kernel, undefined when libbpf would find
// no symbol for it: the DATASEC's when clang sized it, else (libbpf skips static and extern variables).
function variableOffset(elf: ElfFile, section: ElfSection, variable: BtfType, info: BtfVarSecinfo, datasecSized: boolean): number | undefined {
  if (datasecSized || variable.linkage !== BtfVarLinkage.GLOBAL_ALLOCATED) return info.offset;
  const symbol = elf.symbolTable.symbols.find(
    (s) => s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.name === variable.name && s.sectionIndex === section.index,
  );
  return symbol?.value;
}
