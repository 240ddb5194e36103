import { MapType, type MapDef } from "../maps/types.ts";
import { slice } from "./byte-region.ts";
import { btfType, BtfVarLinkage, findDatasec, type Btf } from "./btf.ts";
import { STB, STT, STV } from "./elf-constants.ts";
import { contents, type ElfFile } from "./elf-file.ts";
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
