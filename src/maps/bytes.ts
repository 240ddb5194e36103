// Small byte helpers shared by the map kinds: hex text, 8-byte rounding,
// little-endian u32 keys, and a byte-string identity for JS Map keys.

// The kernel rounds per-CPU and array value slots up to 8 bytes (round_up(value_size, 8)).
export function roundUp8(size: number): number {
  return Math.ceil(size / 8) * 8;
}

export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

// A string that identifies a byte sequence, usable as a JS Map key.
export function byteKey(bytes: Uint8Array): string {
  return toHex(bytes);
}

export function readU32(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

export function u32Bytes(value: number): Uint8Array {
  const v = value >>> 0;
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Lexicographic order of byte strings (shorter first on a common prefix).
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
