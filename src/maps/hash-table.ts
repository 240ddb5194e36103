// The bucket structure of kernel/bpf/hashtab.c (and devmap.c's hash), shared
// by the hash kinds: n_buckets = max_entries rounded up to a power of two,
// bucket = hash(key) & (n_buckets - 1), new elements pushed at the head of
// their bucket.
// get_next_key walks the rest of the key's bucket, then the following
// buckets; a key that is absent restarts from bucket 0. With the kernel's
// BPF_F_ZERO_SEED the seed is 0 and this order is the kernel's exactly; a
// kernel map without it uses a random seed, so its order differs from ours.

import { bytesEqual } from "./bytes.ts";
import type { KeyWatcher } from "./types.ts";

export interface HashElem<Payload> {
  readonly key: Uint8Array;
  readonly hash: number;
  payload: Payload;
}

export function roundUpPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}

export class HashBuckets<Payload> {
  private readonly buckets: HashElem<Payload>[][];
  private readonly mask: number;
  private readonly hashKey: (key: Uint8Array) => number;
  private elemCount = 0;
  // Told of each key inserted or removed (not copied by cloneWith).
  keyWatcher: KeyWatcher | undefined;

  // `hashKey` is the kind's hash: jhash for the hash maps, the index itself for devmap_hash.
  constructor(maxEntries: number, hashKey: (key: Uint8Array) => number) {
    const bucketCount = roundUpPowerOfTwo(maxEntries);
    this.buckets = Array.from({ length: bucketCount }, () => []);
    this.mask = bucketCount - 1;
    this.hashKey = hashKey;
  }

  get count(): number {
    return this.elemCount;
  }

  hashOf(key: Uint8Array): number {
    return this.hashKey(key);
  }

  private bucketOf(hash: number): HashElem<Payload>[] {
    return this.buckets[hash & this.mask];
  }

  find(key: Uint8Array): HashElem<Payload> | undefined {
    const hash = this.hashOf(key);
    const bucket = this.bucketOf(hash);
    // A plain loop: find() with an arrow would make a closure per lookup.
    for (let i = 0; i < bucket.length; i++) {
      const elem = bucket[i];
      if (elem.hash === hash && bytesEqual(elem.key, key)) return elem;
    }
    return undefined;
  }

  // Adds a new element at the head of its bucket (hlist_nulls_add_head_rcu).
  insertHead(key: Uint8Array, payload: Payload): HashElem<Payload> {
    const elem: HashElem<Payload> = { key: key.slice(), hash: this.hashOf(key), payload };
    this.bucketOf(elem.hash).unshift(elem);
    this.elemCount++;
    this.keyWatcher?.inserted(elem.key);
    return elem;
  }

  // Removes this very element; false when it is no longer in the table.
  remove(elem: HashElem<Payload>): boolean {
    const bucket = this.bucketOf(elem.hash);
    const at = bucket.indexOf(elem);
    if (at < 0) return false;
    bucket.splice(at, 1);
    this.elemCount--;
    this.keyWatcher?.removed(elem.key);
    return true;
  }

  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    let bucketIndex = 0;
    if (key !== undefined) {
      const hash = this.hashOf(key);
      const bucket = this.bucketOf(hash);
      const at = bucket.findIndex((elem) => elem.hash === hash && bytesEqual(elem.key, key));
      if (at >= 0) {
        if (at + 1 < bucket.length) return bucket[at + 1].key.slice();
        bucketIndex = (hash & this.mask) + 1;
      }
    }
    for (; bucketIndex < this.buckets.length; bucketIndex++) {
      const first = this.buckets[bucketIndex][0];
      if (first !== undefined) return first.key.slice();
    }
    return undefined;
  }

  // Every element in iteration order.
  all(): HashElem<Payload>[] {
    return this.buckets.flat();
  }

  // A copy with the same buckets and order; `copyPayload` copies each element's payload;
  // `copies`, when given, receives the old element -> new element correspondence.
  cloneWith<Copy>(
    copyPayload: (payload: Payload) => Copy,
    copies?: Map<HashElem<Payload>, HashElem<Copy>>,
  ): HashBuckets<Copy> {
    const copy = new HashBuckets<Copy>(this.buckets.length, this.hashKey);
    this.buckets.forEach((bucket, index) => {
      copy.buckets[index] = bucket.map((elem) => {
        const twin = { key: elem.key, hash: elem.hash, payload: copyPayload(elem.payload) };
        copies?.set(elem, twin);
        return twin;
      });
    });
    copy.elemCount = this.elemCount;
    return copy;
  }
}
