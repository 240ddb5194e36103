// How the views write numbers: durations with a unit that keeps them short,
// percentages, rates, core sets as ranges. Shared by terminal, markdown and HTML.
import { formatIntegerRanges } from "../integer-ranges.ts";

export function formatNs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return "n/a";
  if (ns < 1_000) return `${trim(ns, ns < 10 ? 2 : ns < 100 ? 1 : 0)} ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000, ns < 10_000 ? 2 : ns < 100_000 ? 1 : 0)} µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000, 2)} ms`;
  return `${trim(ns / 1_000_000_000, 2)} s`;
}

function trim(value: number, digits: number): string {
  return value.toFixed(digits);
}

export const formatPercent = (fraction: number): string => `${Math.round(fraction * 100)} %`;

export const formatMpps = (mpps: number): string => `${mpps.toFixed(mpps < 10 ? 3 : 2)} Mpps`;

export const formatGbps = (gbps: number): string => `${gbps.toFixed(2)} Gb/s`;

export const formatCount = (n: number): string => n.toLocaleString("en-US");

// [0,1,2,3,8,9] -> "0-3, 8-9".
export const formatCoreSet = (cores: readonly number[]): string => formatIntegerRanges(cores);

export const formatRange = (range: readonly [number, number] | null): string => (range === null ? "-" : range[0] === range[1] ? `${range[0]}` : `${range[0]}-${range[1]}`);

// Lays out rows as columns; numeric-looking cells are right-aligned.
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths = header.map((h, c) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[c] ?? ""))));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[-\d.,\s]+(%|ns|µs|ms|s|B|Mpps|cyc)?$/.test(stripAnsi(r[c] ?? "")) || (r[c] ?? "") === "-"));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((cell, c) => {
        const pad = " ".repeat(Math.max(0, widths[c] - visibleLength(cell)));
        return numeric[c] ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");
const visibleLength = (text: string): number => [...stripAnsi(text)].length;
