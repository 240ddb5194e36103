// Memory access for the compiled tier: the same address space as the
// reference interpreter (src/interp/memory.ts), reached without BigInt on
// the common path. An address arrives as two int32 halves; its high half is
// the segment, which a small direct-mapped cache turns into the region's
// bytes, base and accessible window. Only an access the cache can prove
// plain, in bounds and permitted is done here; everything else (a miss that
// cannot be filled, the context, any access that would fault) is handed to
// the AddressSpace itself, so results and errors are the reference's own.
import type { MemoryAccessError } from "./fault.ts";
import { isMemoryAccessError } from "./fault.ts";
import { AddressSpace, type Region, type RegionSpec } from "./memory.ts";
import { PAIR, bigToPair, pairToBig } from "./compile-u64.ts";

// An AddressSpace that also indexes its regions by segment number, so the
// compiled tier can find a region from the high half of an address.
export class IndexedAddressSpace extends AddressSpace {
  readonly bySegment = new Map<number, Region>();

  override mapAt(segment: number, spec: RegionSpec): Region {
    const region = super.mapAt(segment, spec);
    this.bySegment.set(segment, region);
    return region;
  }

  override unmap(region: Region): void {
    super.unmap(region);
    for (const [segment, mapped] of this.bySegment) {
      if (mapped === region) this.bySegment.delete(segment);
    }
  }
}

// What the cache knows about one region. `start`/`end` bound the accessible
// byte offsets from the region's base; an entry with start > end never hits.
interface SegmentEntry {
  segment: number;
  baseLo: number;
  start: number;
  end: number;
  writable: boolean;
  view: DataView;
  region: Region | undefined;
}

// What load() returns besides a value: the access faulted, or the value does not fit 32 bits.
export const REFUSED = -1;
export const WIDE = -2;

const CACHE_BITS = 5;
const CACHE_SLOTS = 1 << CACHE_BITS;
// Fibonacci hashing of the segment number into the cache.
const HASH_MULTIPLIER = 0x9e3779b1;
const slotOf = (segment: number): number => Math.imul(segment, HASH_MULTIPLIER) >>> (32 - CACHE_BITS);

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const missEntry = (): SegmentEntry => ({ segment: 0, baseLo: 0, start: 1, end: 0, writable: false, view: EMPTY_VIEW, region: undefined });
const MISS = missEntry();

export class MemoryPort {
  private readonly slots: SegmentEntry[] = new Array<SegmentEntry>(CACHE_SLOTS).fill(MISS);
  // Entries outlive a cache flush; their windows are re-read when they come back.
  private readonly entries = new Map<Region, SegmentEntry>();
  // The halves of the last 8-byte or WIDE load.
  loadedHi = 0;
  loadedLo = 0;
  // Why the last access that returned failure was refused.
  error: MemoryAccessError | undefined;

  constructor(readonly memory: IndexedAddressSpace) {}

  // After anything that may map, unmap or move a window (helper calls, new call frames).
  flush(): void {
    this.slots.fill(MISS);
  }

  // Unsigned value of `size` (1, 2, 4) bytes, REFUSED (see `error`) or WIDE (see loadedHi/loadedLo).
  load(hi: number, lo: number, size: 1 | 2 | 4): number {
    let entry = this.slots[slotOf(hi)];
    if (entry.segment !== hi) entry = this.fill(hi);
    const offset = (lo >>> 0) - entry.baseLo;
    if (offset >= entry.start && offset + size <= entry.end) {
      if (size === 4) return entry.view.getUint32(offset, true);
      if (size === 2) return entry.view.getUint16(offset, true);
      return entry.view.getUint8(offset);
    }
    return this.slowLoad(hi, lo, size);
  }

  // Low half of an 8-byte load (upper half in loadedHi), or REFUSED.
  load8(hi: number, lo: number): number {
    let entry = this.slots[slotOf(hi)];
    if (entry.segment !== hi) entry = this.fill(hi);
    const offset = (lo >>> 0) - entry.baseLo;
    if (offset >= entry.start && offset + 8 <= entry.end) {
      this.loadedHi = entry.view.getInt32(offset + 4, true);
      return entry.view.getUint32(offset, true);
    }
    return this.slowLoad(hi, lo, 8);
  }

  // Stores the low `size` bytes of (valueHi, valueLo); false when refused (see `error`).
  store(hi: number, lo: number, size: 1 | 2 | 4 | 8, valueHi: number, valueLo: number): boolean {
    let entry = this.slots[slotOf(hi)];
    if (entry.segment !== hi) entry = this.fill(hi);
    const offset = (lo >>> 0) - entry.baseLo;
    if (entry.writable && offset >= entry.start && offset + size <= entry.end) {
      const view = entry.view;
      if (size === 4) view.setInt32(offset, valueLo, true);
      else if (size === 8) {
        view.setInt32(offset, valueLo, true);
        view.setInt32(offset + 4, valueHi, true);
      } else if (size === 2) view.setInt16(offset, valueLo, true);
      else view.setInt8(offset, valueLo);
      return true;
    }
    const refused = this.memory.store(pairToBig(hi, lo), size, pairToBig(valueHi, valueLo));
    this.error = refused;
    return refused === undefined;
  }

  // The region at a segment as a cache entry; a miss entry when there is none or it is not plain memory.
  private fill(hi: number): SegmentEntry {
    const region = this.memory.bySegment.get(hi >>> 0);
    if (region === undefined || region.context !== undefined) return MISS;
    let entry = this.entries.get(region);
    if (entry === undefined) {
      const bytes = region.bytes;
      const baseHi = Number(region.base >> 32n) | 0;
      entry = missEntry();
      // A region whose base lies in another segment than its index is left to the slow path.
      if (baseHi === hi) {
        entry.segment = hi;
        entry.baseLo = Number(region.base & 0xffff_ffffn);
        entry.writable = region.writable;
        entry.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        entry.region = region;
      }
      this.entries.set(region, entry);
    }
    if (entry.region !== undefined) {
      const window = region.window ? region.window() : undefined;
      entry.start = window ? window.start : 0;
      entry.end = window ? window.end : region.bytes.byteLength;
      this.slots[slotOf(hi)] = entry;
    }
    return entry;
  }

  // The reference's own load, for the context and for every access the cache refused.
  // A context field can be wider than the access (xdp_md.data yields a 64-bit pointer): WIDE.
  private slowLoad(hi: number, lo: number, size: 1 | 2 | 4 | 8): number {
    const loaded = this.memory.load(pairToBig(hi, lo), size);
    if (isMemoryAccessError(loaded)) {
      this.error = loaded;
      return REFUSED;
    }
    bigToPair(loaded);
    this.loadedHi = PAIR[0];
    this.loadedLo = PAIR[1];
    return size === 8 || PAIR[0] === 0 ? PAIR[1] >>> 0 : WIDE;
  }
}
