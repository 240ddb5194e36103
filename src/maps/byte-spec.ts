// The byte notations a map JSON file may use for a key or a value:
//   "0a000001", "0x0a 00 00 01", "0a:00:00:01"   hex text (spaces, ':' and '_' ignored)
//   [10, 0, 0, 1]                                  byte values
//   {"u32": 5}, {"i16": -2}, {"u64": "0xffffffffffffffff"}   little-endian integers
//   {"be16": 80}, {"be32": 167772161}               big-endian (network order) integers
//   {"ipv4": "10.0.0.1"}                            four bytes in network order
//   {"prefix": "10.0.0.0/8"}                         an LPM key: u32 prefix length + IPv4 address
//   {"zero": 12}                                     that many zero bytes
//   {"hex": "..."}, {"bytes": [...]}                 the first two, spelled out
//   [{"u32": 1}, {"be16": 80}, "00"]                 a struct: the parts one after another
// parseByteSpec turns one into bytes or says, in words, what is wrong with it.

export type SpecResult = { readonly bytes: Uint8Array } | { readonly problem: string };

const INTEGER_WIDTHS: Readonly<Record<string, { bytes: number; signed: boolean; bigEndian: boolean }>> = {
  u8: { bytes: 1, signed: false, bigEndian: false },
  u16: { bytes: 2, signed: false, bigEndian: false },
  u32: { bytes: 4, signed: false, bigEndian: false },
  u64: { bytes: 8, signed: false, bigEndian: false },
  i8: { bytes: 1, signed: true, bigEndian: false },
  i16: { bytes: 2, signed: true, bigEndian: false },
  i32: { bytes: 4, signed: true, bigEndian: false },
  i64: { bytes: 8, signed: true, bigEndian: false },
  be16: { bytes: 2, signed: false, bigEndian: true },
  be32: { bytes: 4, signed: false, bigEndian: true },
  be64: { bytes: 8, signed: false, bigEndian: true },
};

const fail = (problem: string): SpecResult => ({ problem });
const ok = (bytes: Uint8Array): SpecResult => ({ bytes });

function parseHex(text: string): SpecResult {
  const digits = text.replace(/^0x/i, "").replace(/[\s:_]/g, "");
  if (!/^[0-9a-fA-F]*$/.test(digits)) return fail(`"${text}" is not hex`);
  if (digits.length % 2 !== 0) return fail(`hex "${text}" has an odd number of digits`);
  return ok(Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16)));
}

function parseInteger(raw: unknown): bigint | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  return text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text);
}

function integerBytes(name: string, raw: unknown): SpecResult {
  const width = INTEGER_WIDTHS[name];
  const value = parseInteger(raw);
  if (value === undefined) return fail(`{"${name}": ${JSON.stringify(raw)}} needs an integer (a number, or a decimal or 0x string)`);
  const bits = BigInt(width.bytes * 8);
  const low = width.signed ? -(1n << (bits - 1n)) : 0n;
  const high = width.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value < low || value > high) return fail(`${value} does not fit in ${name} (${low}..${high})`);
  let unsigned = BigInt.asUintN(Number(bits), value);
  const bytes = new Uint8Array(width.bytes);
  for (let i = 0; i < width.bytes; i++) {
    bytes[width.bigEndian ? width.bytes - 1 - i : i] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
  return ok(bytes);
}

function ipv4Bytes(raw: unknown): SpecResult {
  const parts = typeof raw === "string" ? raw.split(".") : [];
  const octets = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (octets.length !== 4 || octets.some((octet) => !(octet >= 0 && octet <= 255))) return fail(`${JSON.stringify(raw)} is not a dotted IPv4 address`);
  return ok(Uint8Array.from(octets));
}

function prefixBytes(raw: unknown): SpecResult {
  const match = typeof raw === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(raw) : null;
  if (match === null || Number(match[2]) > 32) return fail(`${JSON.stringify(raw)} is not an IPv4 prefix like "10.0.0.0/8"`);
  const address = ipv4Bytes(match[1]);
  if (!("bytes" in address)) return address;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, Number(match[2]), true);
  bytes.set(address.bytes, 4);
  return ok(bytes);
}

function objectBytes(spec: Record<string, unknown>): SpecResult {
  const keys = Object.keys(spec);
  if (keys.length !== 1) return fail(`an object must have exactly one field (u32, be16, ipv4, hex, ...), not ${keys.length}`);
  const [name] = keys;
  const raw = spec[name];
  if (name in INTEGER_WIDTHS) return integerBytes(name, raw);
  switch (name) {
    case "hex":
      return typeof raw === "string" ? parseHex(raw) : fail(`{"hex": ...} needs a string`);
    case "bytes":
      return Array.isArray(raw) ? parseByteSpec(raw) : fail(`{"bytes": ...} needs an array`);
    case "ipv4":
      return ipv4Bytes(raw);
    case "prefix":
      return prefixBytes(raw);
    case "zero":
      return Number.isSafeInteger(raw) && (raw as number) >= 0 ? ok(new Uint8Array(raw as number)) : fail(`{"zero": ...} needs a byte count`);
    default:
      return fail(`unknown field "${name}" (expected one of ${[...Object.keys(INTEGER_WIDTHS), "hex", "bytes", "ipv4", "prefix", "zero"].join(", ")})`);
  }
}

export function parseByteSpec(spec: unknown): SpecResult {
  if (typeof spec === "string") return parseHex(spec);
  if (Array.isArray(spec)) {
    if (spec.every((item) => typeof item === "number")) {
      const bad = spec.findIndex((item) => !Number.isInteger(item) || item < 0 || item > 255);
      if (bad >= 0) return fail(`byte ${bad} (${spec[bad]}) is not an integer 0..255`);
      return ok(Uint8Array.from(spec as number[]));
    }
    const parts: Uint8Array[] = [];
    for (const [index, item] of spec.entries()) {
      const part = typeof item === "number" ? fail(`part ${index}: a bare number inside a struct is ambiguous; write {"u8": ${item}} or similar`) : parseByteSpec(item);
      if (!("bytes" in part)) return fail(`part ${index}: ${part.problem}`);
      parts.push(part.bytes);
    }
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return ok(bytes);
  }
  if (typeof spec === "object" && spec !== null) return objectBytes(spec as Record<string, unknown>);
  return fail(`${JSON.stringify(spec)} is not a byte notation (hex string, byte array, or {"u32": n}-style object)`);
}
