import { elfError, hex, type ElfError } from "./errors.ts";

// A bounds-checked window on the object file: a section's contents, the ELF
// header or a record table. Offsets passed to the readers are relative to the
// window's start; every read past its end throws an ElfError that names the
// file, the window and the absolute byte offset.
export interface ByteRegion {
  readonly fileName: string;
  readonly bytes: Uint8Array; // the whole file
  readonly start: number; // absolute offset of the window
  readonly length: number;
  readonly name: string; // what the window is, for messages ("the ELF header", "section 'xdp'")
  readonly section?: string; // the ELF section it lies in, if any
  readonly littleEndian: boolean;
}

export function region(
  fileName: string,
  bytes: Uint8Array,
  start: number,
  length: number,
  name: string,
  littleEndian: boolean,
  section?: string,
): ByteRegion {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > bytes.length) {
    throw elfError(
      { file: fileName, section, offset: Number.isSafeInteger(start) ? start : undefined },
      `${name} would span ${length} bytes from byte ${hex(start)}, past the end of the ${bytes.length}-byte file`,
    );
  }
  return { fileName, bytes, start, length, name, littleEndian, ...(section !== undefined ? { section } : {}) };
}

export const subRegion = (r: ByteRegion, at: number, length: number, name: string): ByteRegion => {
  need(r, at, length, `${name} (${length} bytes)`);
  return { ...r, start: r.start + at, length, name };
};

export function regionError(r: ByteRegion, at: number, problem: string): ElfError {
  return elfError({ file: r.fileName, section: r.section, offset: r.start + at }, problem);
}

// Throws unless `width` bytes starting at relative offset `at` lie inside the region.
export function need(r: ByteRegion, at: number, width: number, what: string): void {
  if (!Number.isSafeInteger(at) || at < 0 || width < 0 || at + width > r.length) {
    throw elfError(
      { file: r.fileName, section: r.section, offset: Number.isSafeInteger(at) && at >= 0 ? r.start + at : r.start },
      `${what} would end at byte ${hex(at + width)} of ${r.name}, past its end at ${hex(r.length)}`,
    );
  }
}

const view = (r: ByteRegion): DataView => new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);

export function u8(r: ByteRegion, at: number, what: string): number {
  need(r, at, 1, what);
  return r.bytes[r.start + at];
}

export function u16(r: ByteRegion, at: number, what: string): number {
  need(r, at, 2, what);
  return view(r).getUint16(r.start + at, r.littleEndian);
}

export function u32(r: ByteRegion, at: number, what: string): number {
  need(r, at, 4, what);
  return view(r).getUint32(r.start + at, r.littleEndian);
}

export function i32(r: ByteRegion, at: number, what: string): number {
  need(r, at, 4, what);
  return view(r).getInt32(r.start + at, r.littleEndian);
}

export function u64(r: ByteRegion, at: number, what: string): bigint {
  need(r, at, 8, what);
  return view(r).getBigUint64(r.start + at, r.littleEndian);
}

export function i64(r: ByteRegion, at: number, what: string): bigint {
  need(r, at, 8, what);
  return view(r).getBigInt64(r.start + at, r.littleEndian);
}

// A u64 field that is an offset, size or count: values beyond 2^53 cannot
// describe anything in a file held in memory, so they are reported here.
export function u64Number(r: ByteRegion, at: number, what: string): number {
  const value = u64(r, at, what);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw regionError(r, at, `${what} is ${value}, larger than any file this tool can hold`);
  }
  return Number(value);
}

export const slice = (r: ByteRegion): Uint8Array => r.bytes.subarray(r.start, r.start + r.length);

// The NUL-terminated string starting at relative offset `at`.
export function cString(r: ByteRegion, at: number, what: string): string {
  if (!Number.isSafeInteger(at) || at < 0 || at >= r.length) {
    throw elfError(
      { file: r.fileName, section: r.section },
      `${what} points at offset ${at}, outside the ${r.length}-byte ${r.name}`,
    );
  }
  const end = r.bytes.indexOf(0, r.start + at);
  if (end < 0 || end >= r.start + r.length) {
    throw regionError(r, at, `${what} is not NUL-terminated inside ${r.name}`);
  }
  return utf8.decode(r.bytes.subarray(r.start + at, end));
}

// Not fatal: malformed UTF-8 in a name becomes U+FFFD instead of an exception.
const utf8 = new TextDecoder("utf-8");
