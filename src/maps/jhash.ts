// Bob Jenkins' lookup3 hash as the kernel's include/linux/jhash.h defines
// jhash() and jhash2(); the hash maps pick their bucket with it, so a map
// created with BPF_F_ZERO_SEED iterates in the same order as the kernel's.

const JHASH_INITVAL = 0xdeadbeef;

function rol32(word: number, shift: number): number {
  return ((word << shift) | (word >>> (32 - shift))) >>> 0;
}

// The three lanes of lookup3's state, kept in one module-level array so a hash allocates nothing.
const lanes = new Uint32Array(3);

function mix(s: Uint32Array): void {
  let a = s[0], b = s[1], c = s[2];
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

function final(s: Uint32Array): void {
  let a = s[0], b = s[1], c = s[2];
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

const wordLe = (key: Uint8Array, at: number): number =>
  (key[at] | (key[at + 1] << 8) | (key[at + 2] << 16) | (key[at + 3] << 24)) >>> 0;

// jhash(key, length, initval) over bytes, reading 32-bit words little-endian as on x86.
// (jhash2 over the same bytes gives the same result on a little-endian machine.)
export function jhash(key: Uint8Array, initval: number): number {
  let length = key.length;
  const start = (JHASH_INITVAL + length + initval) >>> 0;
  const s = lanes;
  s[0] = start;
  s[1] = start;
  s[2] = start;
  let k = 0;
  while (length > 12) {
    s[0] += wordLe(key, k);
    s[1] += wordLe(key, k + 4);
    s[2] += wordLe(key, k + 8);
    mix(s);
    length -= 12;
    k += 12;
  }
  if (length === 0) return s[2];
  // The tail: byte i of the last block lands in word i/4 at bit 8*(i%4).
  for (let i = 0; i < length; i++) {
    s[i >> 2] += key[k + i] << (8 * (i & 3));
  }
  final(s);
  return s[2];
}
