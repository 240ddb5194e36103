// A pcapng interface's timestamp unit: 10^-exponent or 2^-exponent seconds,
// encoded in the if_tsresol option byte (most significant bit set = power of two).
import { NANOSECONDS_PER_SECOND } from "./pcap-format.ts";

export interface TimestampResolution {
  readonly base: 10 | 2;
  readonly exponent: number;
}

const POWER_OF_TWO_FLAG = 0x80;
const EXPONENT_MASK = 0x7f;

// The draft's default when an interface has no if_tsresol option: microseconds.
export const DEFAULT_RESOLUTION: TimestampResolution = { base: 10, exponent: 6 };
export const NANOSECOND_RESOLUTION: TimestampResolution = { base: 10, exponent: 9 };

export function decodeTsresol(optionByte: number): TimestampResolution {
  return (optionByte & POWER_OF_TWO_FLAG) !== 0
    ? { base: 2, exponent: optionByte & EXPONENT_MASK }
    : { base: 10, exponent: optionByte & EXPONENT_MASK };
}

export function encodeTsresol(resolution: TimestampResolution): number {
  return (resolution.base === 2 ? POWER_OF_TWO_FLAG : 0) | (resolution.exponent & EXPONENT_MASK);
}

export function unitsPerSecond(resolution: TimestampResolution): bigint {
  return BigInt(resolution.base) ** BigInt(resolution.exponent);
}

// Rounds down when a unit is finer than a nanosecond.
export function unitsToNanoseconds(units: bigint, perSecond: bigint): bigint {
  return (units * NANOSECONDS_PER_SECOND) / perSecond;
}

export function nanosecondsToUnits(nanoseconds: bigint, perSecond: bigint): bigint {
  return (nanoseconds * perSecond) / NANOSECONDS_PER_SECOND;
}
