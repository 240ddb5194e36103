// Which entries differ between two maps (or two dumps of them): added in the
// second, removed from it, or changed, each with a readable line. Used by
// the equivalence checks (host interpreter vs. NIC, simulator vs. kernel).

import { formatIntegerRanges } from "../integer-ranges.ts";
import { dumpMap } from "./dump.ts";
import type { DumpEntry, MapDump } from "./dump.ts";
import type { SimMap } from "./types.ts";

export interface ChangedEntry {
  readonly key: string;
  readonly before: DumpEntry;
  readonly after: DumpEntry;
}

export interface MapDiff {
  readonly map: string;
  readonly identical: boolean;
  readonly added: readonly DumpEntry[];
  readonly removed: readonly DumpEntry[];
  readonly changed: readonly ChangedEntry[];
}

// Queue/stack values and ring buffer records compare by position, as "#0", "#1", ...
function keyedEntries(dump: MapDump): Map<string, DumpEntry> {
  const list: DumpEntry[] = [
    ...dump.entries,
    ...(dump.values ?? []).map((value, index) => ({ key: `#${index}`, value })),
    ...(dump.records ?? []).map((value, index) => ({ key: `record #${index}`, value })),
  ];
  return new Map(list.map((entry) => [entry.key, entry]));
}

function sameEntry(a: DumpEntry, b: DumpEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const sameStrings = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

// The common case found without building keyed tables: the same entries in the same order.
function sameListing(before: MapDump, after: MapDump): boolean {
  if (!sameStrings(before.values, after.values) || !sameStrings(before.records, after.records)) return false;
  if (before.entries === after.entries) return true;
  if (before.entries.length !== after.entries.length) return false;
  return before.entries.every((a, i) => {
    const b = after.entries[i];
    return a.key === b.key && a.value === b.value && a.map === b.map && sameStrings(a.percpu, b.percpu);
  });
}

export function diffDumps(before: MapDump, after: MapDump): MapDiff {
  if (sameListing(before, after)) return { map: before.map, identical: true, added: [], removed: [], changed: [] };
  const left = keyedEntries(before);
  const right = keyedEntries(after);
  const added = [...right.values()].filter((entry) => !left.has(entry.key));
  const removed = [...left.values()].filter((entry) => !right.has(entry.key));
  const changed: ChangedEntry[] = [];
  for (const [key, entry] of left) {
    const other = right.get(key);
    if (other !== undefined && !sameEntry(entry, other)) changed.push({ key, before: entry, after: other });
  }
  return { map: before.map, identical: added.length + removed.length + changed.length === 0, added, removed, changed };
}

export function diffMaps(before: SimMap, after: SimMap): MapDiff {
  return diffDumps(dumpMap(before), dumpMap(after));
}

function describeValue(entry: DumpEntry): string {
  if (entry.map !== undefined) return `map "${entry.map}"`;
  if (entry.percpu !== undefined) return entry.percpu.map((value, cpu) => `cpu${cpu}=${value}`).join(" ");
  return entry.value ?? "";
}

// Byte offsets where two equal-length hex strings differ, e.g. "bytes 0, 4-7".
function differingBytes(a: string, b: string): string {
  if (a.length !== b.length) return "";
  const offsets: number[] = [];
  for (let i = 0; i < a.length; i += 2) if (a.slice(i, i + 2) !== b.slice(i, i + 2)) offsets.push(i / 2);
  return offsets.length === 0 ? "" : ` (bytes ${formatIntegerRanges(offsets)} differ)`;
}

// One line per difference, or one line saying there is none.
export function formatMapDiff(diff: MapDiff): string[] {
  if (diff.identical) return [`map "${diff.map}": identical`];
  return [
    ...diff.removed.map((entry) => `map "${diff.map}": key ${entry.key} only in the first: ${describeValue(entry)}`),
    ...diff.added.map((entry) => `map "${diff.map}": key ${entry.key} only in the second: ${describeValue(entry)}`),
    ...diff.changed.map((change) => {
      const before = describeValue(change.before);
      const after = describeValue(change.after);
      const detail = change.before.value !== undefined && change.after.value !== undefined ? differingBytes(change.before.value, change.after.value) : "";
      return `map "${diff.map}": key ${change.key}: ${before} -> ${after}${detail}`;
    }),
  ];
}
