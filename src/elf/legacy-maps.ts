import type { MapDef } from "../maps/types.ts";
import { subRegion, u32 } from "./byte-region.ts";
import { STT } from "./elf-constants.ts";
import { contents, type ElfFile } from "./elf-file.ts";
import { elfError } from "./errors.ts";
import type { PlacedMap } from "./placed-map.ts";
import type { ElfSection } from "./section-table.ts";
import { perfArrayEntries } from "./possible-cpus.ts";

// Maps declared the pre-BTF way: `struct bpf_map_def SEC("maps")`, five u32
// fields (type, key_size, value_size, max_entries, map_flags). As libbpf 0.x
// did, every symbol in the section is one map and all definitions have the
// same size, the section size divided by the map count; fields beyond a
// shorter definition are 0, and bytes beyond the five fields (iproute2's
// bpf_elf_map adds id, pinning, inner_id, inner_idx) are not interpreted.

const FIELD_BYTES = 4;
const FIELDS = ["type", "keySize", "valueSize", "maxEntries", "flags"] as const;

export function readLegacyMaps(elf: ElfFile, section: ElfSection): PlacedMap[] {
  const where = { file: elf.fileName, section: section.name };
  const symbols = elf.symbolTable.symbols.filter((s) => s.sectionIndex === section.index && s.type !== STT.SECTION);
  if (symbols.length === 0) throw elfError(where, "the section has no symbols, expected one symbol per map definition");
  if (section.size % symbols.length !== 0) {
    throw elfError(where, `the section holds ${section.size} bytes for ${symbols.length} maps, expected a multiple of the map count`);
  }
  const defBytes = section.size / symbols.length;
  const bytes = contents(elf, section);
  return symbols.map((symbol) => {
    if (symbol.name === "") throw elfError(where, `symbol ${symbol.index} has no name, expected the map's name`);
    const entry = subRegion(bytes, symbol.value, defBytes, `the definition of map '${symbol.name}'`);
    const field = (i: number): number => ((i + 1) * FIELD_BYTES <= defBytes ? u32(entry, i * FIELD_BYTES, `${FIELDS[i]} of map '${symbol.name}'`) : 0);
    const def: MapDef = {
      name: symbol.name,
      type: field(0),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: perfArrayEntries(field(0), field(3)),
      flags: field(4),
    };
    return { def, sectionIndex: section.index, offset: symbol.value, origin: "legacy" as const };
  });
}
