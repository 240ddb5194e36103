import type { MapDef } from "../maps/types.ts";

// A map definition and where in the object it was declared, so that a
// relocation against (section, offset) can be resolved to its index.
export interface PlacedMap {
  readonly def: MapDef;
  readonly sectionIndex: number;
  readonly offset: number; // byte offset of the definition inside its section (0 for global data)
  readonly origin: "btf" | "legacy" | "global-data";
}
