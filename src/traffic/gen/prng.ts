// A small seeded pseudo-random generator, so generated traffic is the same for
// the same seed on every machine: xoshiro128** (Blackman and Vigna, "Scrambled
// linear pseudorandom number generators", 2018), 32-bit arithmetic only, its
// 128-bit state filled from the seed by SplitMix64 (Steele, Lea, Flood, 2014).

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: bigint | number) {
    const [a, b] = splitMix64(BigInt(seed), 2);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
    // An all-zero state would only ever yield zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  // A generator in exactly this xoshiro128** state (for checking against the reference implementation).
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    const prng = new Prng(0);
    prng.s0 = s0 | 0;
    prng.s1 = s1 | 0;
    prng.s2 = s2 | 0;
    prng.s3 = s3 | 0;
    return prng;
  }

  // A uniform 32-bit unsigned integer.
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  // A uniform number in [0, 1) with 53 random bits.
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 2 ** 26 + low) / TWO_POW_53;
  }

  // A uniform integer in [0, bound) for 0 < bound <= 2^32, without modulo bias.
  nextBelow(bound: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % bound;
    }
  }

  // A uniform integer in [low, high].
  nextInRange(low: number, high: number): number {
    return low + this.nextBelow(high - low + 1);
  }
}

// The first `count` outputs of SplitMix64 started at `seed`.
export function splitMix64(seed: bigint, count: number): bigint[] {
  let x = BigInt.asUintN(64, seed);
  const outputs: bigint[] = [];
  for (let i = 0; i < count; i++) {
    x = (x + GOLDEN_GAMMA) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    outputs.push(z ^ (z >> 31n));
  }
  return outputs;
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

// A stateless 32-bit hash of (key, index, salt): per-flow attributes come from it,
// so a flow looks the same whenever it is drawn without storing every flow.
export function hash32(key: number, index: number, salt: number): number {
  let h = Math.imul(key ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b) ^ index;
  h = fmix32(h);
  h = fmix32(h ^ Math.imul(salt + 1, 0xc2b2ae35) ^ Math.floor(index / TWO_POW_32));
  return h >>> 0;
}

// MurmurHash3's finalizer: every input bit affects every output bit.
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
