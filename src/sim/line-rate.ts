// --line-rate as a user writes it: "40G", "25G", "2.5G", "100000M", "40Gbps",
// or a bare number of Gb/s. Returned in Gb/s.
import { SimInputError } from "./errors.ts";

const GBPS_PER_UNIT: Readonly<Record<string, number>> = { "": 1, k: 1e-6, m: 1e-3, g: 1, t: 1e3 };

export function parseLineRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:b\/s|bps|bit\/s)?\s*$/i.exec(text);
  const value = match ? Number(match[1]) * GBPS_PER_UNIT[match[2].toLowerCase()] : NaN;
  if (!(value > 0)) throw new SimInputError(`--line-rate takes a rate such as 40G, 25G or 100G (bits per second), not '${text}'.`);
  return value;
}
