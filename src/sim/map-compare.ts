// The final contents of each map on the NIC and on the host, compared entry
// by entry (src/maps diffMaps), as readable lines: an entry only one side
// has, or a value that differs.
import { diffMaps, type SimMap } from "../maps/index.ts";
import type { DumpEntry } from "../maps/dump.ts";

export interface MapComparison {
  readonly map: string;
  readonly identical: boolean;
  readonly differences: readonly string[];
}

// Lines listed per map before the rest is summed up.
export const MAX_DIFFERENCE_LINES = 12;

function valueText(entry: DumpEntry): string {
  if (entry.map !== undefined) return `map "${entry.map}"`;
  if (entry.percpu !== undefined) return entry.percpu.map((v, cpu) => `cpu${cpu}=${v}`).join(" ");
  return entry.value ?? "";
}

export function compareMaps(nic: SimMap, host: SimMap): MapComparison {
  const diff = diffMaps(nic, host);
  const lines = [
    ...diff.removed.map((e) => `key ${e.key}: only on the NIC (${valueText(e)})`),
    ...diff.added.map((e) => `key ${e.key}: only on the host (${valueText(e)})`),
    ...diff.changed.map((c) => `key ${c.key}: NIC ${valueText(c.before)}, host ${valueText(c.after)}`),
  ];
  const shown = lines.length > MAX_DIFFERENCE_LINES ? [...lines.slice(0, MAX_DIFFERENCE_LINES), `... and ${lines.length - MAX_DIFFERENCE_LINES} more`] : lines;
  return { map: nic.def.name, identical: diff.identical, differences: shown };
}
