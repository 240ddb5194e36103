import { findDatasec, skipModsAndTypedefs, btfType, type Btf } from "./btf.ts";
import { SHF, STT } from "./elf-constants.ts";
import type { ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { ObjectLayout } from "./object-layout.ts";
import type { PlacedMap } from "./placed-map.ts";
import type { ProgramSource } from "./program-sources.ts";

// Initial slots of prog arrays and map-in-maps declared in the object
// (`.values = { [0] = &prog }`): clang writes one R_BPF_64_ABS64 relocation per
// slot in `.rel.maps`, at the slot's 8-byte pointer inside the map's
// `values` member. libbpf reads them (bpf_object__collect_map_relos) and,
// after loading the programs and creating the maps, stores each program's or
// inner map's fd in its slot.

const POINTER_BYTES = 8;

export type SlotTarget = { readonly kind: "program"; readonly name: string } | { readonly kind: "map"; readonly mapIndex: number; readonly name: string };

export interface InitialSlot {
  readonly mapIndex: number;
  readonly mapName: string;
  readonly slot: number;
  readonly target: SlotTarget;
}

export function readInitialSlots(elf: ElfFile, layout: ObjectLayout, placed: readonly PlacedMap[], sources: readonly ProgramSource[], btf: Btf | undefined): InitialSlot[] {
  const mapsSection = layout.btfMaps;
  if (!mapsSection || !btf) return [];
  const datasec = findDatasec(btf, ".maps");
  const out: InitialSlot[] = [];
  for (const relSection of elf.relocationSections) {
    if (relSection.target !== mapsSection) continue;
    relSection.relocations.forEach((rel, i) => {
      const where = { file: elf.fileName, section: relSection.section.name, offset: rel.fileOffset };
      const fail = (problem: string) => elfError(where, `relocation ${i} (byte ${rel.offset} of .maps): ${problem}`);
      let mapIndex = -1;
      placed.forEach((m, index) => {
        if (m.origin === "btf" && m.offset <= rel.offset && (mapIndex < 0 || m.offset > placed[mapIndex].offset)) mapIndex = index;
      });
      if (mapIndex < 0) throw fail("lies before every map definition");
      const map = placed[mapIndex];
      const valuesOffset = valuesMemberOffset(btf, datasec?.secinfos ?? [], map.def.name);
      if (valuesOffset === undefined) throw fail(`map '${map.def.name}' has no 'values' member for initial slots`);
      const within = rel.offset - map.offset - valuesOffset;
      if (within < 0 || within % POINTER_BYTES !== 0) throw fail(`points at byte ${within} of the 'values' of map '${map.def.name}', expected a multiple of ${POINTER_BYTES}`);
      const slot = within / POINTER_BYTES;
      if (slot >= map.def.maxEntries) throw fail(`fills slot ${slot} of map '${map.def.name}', which has ${map.def.maxEntries} entries`);
      const symbol = elf.symbolTable.symbols[rel.symbolIndex];
      const holder = elf.sections[symbol.sectionIndex];
      if (symbol.type === STT.FUNC && holder !== undefined && holder.flags & SHF.EXECINSTR) {
        const program = sources.find((s) => !s.isSubprogram && s.section === holder && s.firstSlot * POINTER_BYTES === symbol.value);
        if (!program) throw fail(`names function '${symbol.name}', which is not a program of this object`);
        out.push({ mapIndex, mapName: map.def.name, slot, target: { kind: "program", name: program.name } });
        return;
      }
      if (symbol.sectionIndex === mapsSection.index) {
        const inner = placed.findIndex((m) => m.origin === "btf" && m.offset === symbol.value);
        if (inner < 0) throw fail(`names '${symbol.name}', where no map of .maps starts`);
        out.push({ mapIndex, mapName: map.def.name, slot, target: { kind: "map", mapIndex: inner, name: placed[inner].def.name } });
        return;
      }
      throw fail(`names '${symbol.name}', expected a program or a map of .maps`);
    });
  }
  return out.sort((a, b) => a.mapIndex - b.mapIndex || a.slot - b.slot);
}

// Byte offset of the `values` member in the struct of the map variable `name`.
function valuesMemberOffset(btf: Btf, secinfos: readonly { type: number }[], name: string): number | undefined {
  for (const info of secinfos) {
    const variable = btfType(btf, info.type, `a variable of DATASEC '.maps'`);
    if (variable.name !== name) continue;
    const def = skipModsAndTypedefs(btf, variable.sizeOrType, `map '${name}'`);
    const member = def.members?.find((m) => m.name === "values");
    return member === undefined ? undefined : (def.kindFlag ? member.offset & 0xffffff : member.offset) / 8;
  }
  return undefined;
}
