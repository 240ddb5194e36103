// Memory access for the compiled tier: the same address space as the
// reference interpreter (src/interp/memory.ts), reached without BigInt on
// the common path. An address arrives as two int32 halves; its high half is
// the segment, which a small direct-mapped cache turns into the region's
// bytes, base and accessible window. Only an access the cache can prove
// plain, in bounds and permitted is done here; everything else (an access
// that would fault, a region the cache cannot describe) is handed to the
// AddressSpace itself, so results and errors are the reference's own.
//
// What the cache assumes, and why it holds: regions are mapped again or
// unmapped, and a packet's window moves, only while a helper runs or a call
// frame is made, and the runtime calls sync() after both. The fields of the
// XDP context (src/xdp/context.ts) are computed from the XDP buffer's
// offsets and the receive queue, so their values are remembered for as long
// as those offsets stay where they were.
import type { AccessKind, MemoryAccessError } from "./fault.ts";
import { isMemoryAccessError } from "./fault.ts";
import type { XdpBuffer } from "../xdp/buffer.ts";
import { AddressSpace, type ContextFields, type Region, type RegionSpec } from "./memory.ts";
import { PAIR, bigToPair, pairToBig } from "./compile-u64.ts";

// An AddressSpace that also indexes its regions by segment number, so the
// compiled tier can find a region from the high half of an address, and
// lists the regions that stopped being mapped (replaced by a new region at
// their segment, as each call frame's stack is, or unmapped): what a cache
// of regions must forget. Mapping a fresh segment makes nothing stale.
export class IndexedAddressSpace extends AddressSpace {
  readonly bySegment = new Map<number, Region>();
  readonly stale: Region[] = [];
  // Told about every writable view handed out (helpers write program memory through them): the
  // region and offset, or undefined when the region could not be named.
  onWritableView: ((region: Region | undefined, offset: number) => void) | undefined;

  // Regions allocated so far (map values and ring-buffer records): while it stays the same,
  // regionForView hands out the region it handed out before for the same view.
  allocations = 0;

  override allocate(spec: RegionSpec): Region {
    this.allocations++;
    return super.allocate(spec);
  }

  override mapAt(segment: number, spec: RegionSpec): Region {
    const region = super.mapAt(segment, spec);
    const replaced = this.bySegment.get(segment);
    if (replaced !== undefined) this.stale.push(replaced);
    this.bySegment.set(segment, region);
    return region;
  }

  override unmap(region: Region): void {
    super.unmap(region);
    for (const [segment, mapped] of this.bySegment) {
      if (mapped !== region) continue;
      this.bySegment.delete(segment);
      this.stale.push(region);
    }
  }

  // The helpers reach program memory through view(): the bytes of a plain region found by segment
  // and checked as AddressSpace.locate checks them, else the address space's own answer (and error).
  override view(address: bigint, length: number, access: AccessKind): Uint8Array | MemoryAccessError {
    if (length > 0 && address >= 0n && address <= U64_MAX) {
      const region = this.bySegment.get(Number(address >> 32n));
      if (region !== undefined && region.context === undefined && (access === "read" || region.writable)) {
        const offset = Number(address - region.base);
        const window = region.window ? region.window() : undefined;
        const start = window ? window.start : 0;
        const end = window ? window.end : region.bytes.byteLength;
        if (offset >= start && offset + length <= end) {
          if (access === "write") this.onWritableView?.(region, offset);
          // The same view subarray() makes, built directly (subarray's species lookup is slow in V8).
          const bytes = region.bytes;
          return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
        }
      }
    }
    const view = super.view(address, length, access);
    if (access === "write" && view instanceof Uint8Array) this.onWritableView?.(undefined, 0);
    return view;
  }
}

const U64_MAX = (1n << 64n) - 1n;

// What load() returns besides a value: the access faulted, or the value does not fit 32 bits.
export const REFUSED = -1;
export const WIDE = -2;

// Up to this many bytes, zeroWritten clears by hand.
const SHORT_ZEROING_BYTES = 64;

// Context loads remembered per (offset, size) for offsets below this.
const CONTEXT_MEMO_OFFSETS = 32;
const MEMO_KEYS = CONTEXT_MEMO_OFFSETS * 4;
const memoKey = (offset: number, size: number): number => offset * 4 + (size === 8 ? 3 : size === 4 ? 2 : size - 1);

// What the cache knows about one region. `start`/`end` bound the accessible
// byte offsets from the region's base; an entry with start > end never hits.
export interface SegmentEntry {
  segment: number;
  // The lowest offset the program may have written since the owner last cleaned the region (the
  // length when clean): lets a session re-zero only the used part of frame 0's stack.
  low: number;
  baseLo: number;
  start: number;
  end: number;
  writable: boolean;
  view: DataView;
  region: Region | undefined;
  readonly context: ContextMemo | undefined;
}

interface ContextMemo {
  readonly fields: ContextFields;
  readonly known: boolean[];
  readonly hi: number[];
  readonly lo: number[];
  // The XDP buffer offsets (data_meta, data, data_end) the remembered values were computed at.
  readonly at: number[];
}

// The cache: CACHE_SLOTS entries, a segment's slot by Fibonacci hashing (the generated code
// computes it inline with the same constants).
export const CACHE_BITS = 5;
const CACHE_SLOTS = 1 << CACHE_BITS;
export const HASH_MULTIPLIER = 0x9e3779b1 | 0;
const slotOf = (segment: number): number => Math.imul(segment, HASH_MULTIPLIER) >>> (32 - CACHE_BITS);

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const entryFor = (region: Region | undefined, context: ContextMemo | undefined = undefined): SegmentEntry => ({
  segment: 0,
  low: 0,
  baseLo: 0,
  start: 1,
  end: 0,
  writable: false,
  view: EMPTY_VIEW,
  region,
  context,
});
// Occupies every cache slot that holds nothing: its segment never matches a mapped one's bounds check.
const MISS = entryFor(undefined);

export class MemoryPort {
  // Read by the generated code's inline fast paths; only this class writes it.
  readonly slots: SegmentEntry[] = new Array<SegmentEntry>(CACHE_SLOTS).fill(MISS);
  // Entries outlive a cache flush; their windows are re-read when they come back.
  private readonly entries = new Map<Region, SegmentEntry>();
  private readonly contextMemos: ContextMemo[] = [];
  // The halves of the last 8-byte or WIDE load.
  loadedHi = 0;
  loadedLo = 0;
  // Why the last access that returned failure was refused.
  error: MemoryAccessError | undefined;
  // Memory was written where the cache could not see (see touchedAnywhere).
  private touchedUnseen = true;

  // Cached regions with a window (the packet), re-read by sync().
  private readonly windowed: SegmentEntry[] = [];

  // `xdp`: the buffer behind the machine's XDP context, whose field values are remembered.
  constructor(
    readonly memory: IndexedAddressSpace,
    private readonly xdp: XdpBuffer | undefined,
  ) {
    memory.onWritableView = (region, offset) => {
      const entry = region === undefined ? undefined : this.entries.get(region);
      if (entry === undefined) this.touchedUnseen = true;
      else if (offset < entry.low) entry.low = offset;
    };
  }

  // Something wrote memory without the cache seeing where (a helper, the address space itself):
  // every region counts as written from its start.
  touchedAnywhere(): void {
    this.touchedUnseen = true;
  }

  // Zeroes what the program may have written of a region (a session re-zeroing frame 0's stack between runs).
  zeroWritten(region: Region): void {
    // The entry of the region zeroed last time, while it is still the region's entry (see forgetZeroed).
    const entry = region === this.zeroedRegion ? this.zeroedEntry : this.entries.get(region);
    if (entry !== undefined) {
      this.zeroedRegion = region;
      this.zeroedEntry = entry;
    }
    const bytes = region.bytes;
    const low = entry === undefined || this.touchedUnseen ? 0 : Math.max(entry.low, 0);
    // A few bytes (the usual case: a program's locals at the top of its stack) by hand: fill() is a costly call.
    if (bytes.length - low <= SHORT_ZEROING_BYTES) for (let i = low; i < bytes.length; i++) bytes[i] = 0;
    else bytes.fill(0, low);
    if (entry !== undefined) entry.low = bytes.length;
    this.touchedUnseen = false;
  }

  private zeroedRegion: Region | undefined;
  private zeroedEntry: SegmentEntry | undefined;

  // A region's entry was dropped or replaced: zeroWritten looks it up again.
  private forgetZeroed(): void {
    this.zeroedRegion = undefined;
    this.zeroedEntry = undefined;
  }

  // Forget every cached region.
  flush(): void {
    this.forgetZeroed();
    this.slots.fill(MISS);
    this.entries.clear();
    this.windowed.length = 0;
    this.contextMemos.length = 0;
    this.touchedUnseen = true;
    this.memory.stale.length = 0;
  }

  // After anything that may remap, unmap or move a window (helper calls, new call frames):
  // stale regions leave the cache, windows are re-read.
  sync(): void {
    const stale = this.memory.stale;
    for (const region of stale) {
      const entry = this.entries.get(region);
      if (entry === undefined) continue;
      this.entries.delete(region);
      if (region === this.zeroedRegion) this.forgetZeroed();
      const slot = slotOf(entry.segment);
      if (this.slots[slot] === entry) this.slots[slot] = MISS;
      const windowed = this.windowed.indexOf(entry);
      if (windowed >= 0) this.windowed.splice(windowed, 1);
      if (entry.context !== undefined) this.contextMemos.splice(this.contextMemos.indexOf(entry.context), 1);
    }
    stale.length = 0;
    for (const entry of this.windowed) {
      const window = entry.region!.window!();
      entry.start = window.start;
      entry.end = window.end;
    }
  }

  // The generated code's fast path (compile-emit.ts inlineLoad) did not prove the load: fill the cache
  // from the index and try again, else ask the address space. Returns the unsigned value of 1, 2 or 4
  // bytes, the low half of 8 (upper half in loadedHi), REFUSED (see `error`) or WIDE (loadedHi/loadedLo).
  missedLoad(hi: number, lo: number, size: 1 | 2 | 4 | 8): number {
    const cached = this.slots[slotOf(hi)];
    const entry = cached !== MISS && cached.segment === hi ? cached : this.fill(hi);
    if (entry !== undefined) {
      const offset = (lo >>> 0) - entry.baseLo;
      if (offset >= entry.start && offset + size <= entry.end) {
        if (size === 8) this.loadedHi = entry.view.getInt32(offset + 4, true);
        return size === 1 ? entry.view.getUint8(offset) : size === 2 ? entry.view.getUint16(offset, true) : entry.view.getUint32(offset, true);
      }
      if (entry.context !== undefined) return this.loadContext(entry.context, hi, lo, offset, size);
    }
    return this.slowLoad(hi, lo, size);
  }

  // As missedLoad, for a store of the low `size` bytes of (valueHi, valueLo); false when refused (see `error`).
  missedStore(hi: number, lo: number, size: 1 | 2 | 4 | 8, valueHi: number, valueLo: number): boolean {
    const entry = this.fill(hi);
    if (entry !== undefined) {
      const offset = (lo >>> 0) - entry.baseLo;
      if (entry.writable && offset >= entry.start && offset + size <= entry.end) {
        const view = entry.view;
        if (size === 1) view.setUint8(offset, valueLo);
        else if (size === 2) view.setUint16(offset, valueLo, true);
        else {
          view.setInt32(offset, valueLo, true);
          if (size === 8) view.setInt32(offset + 4, valueHi, true);
        }
        if (offset < entry.low) entry.low = offset;
        return true;
      }
    }
    this.touchedAnywhere();
    const refused = this.memory.store(pairToBig(hi, lo), size, pairToBig(valueHi, valueLo));
    this.error = refused;
    return refused === undefined;
  }

  // The bytes of the region holding `length` readable bytes at (hi, lo), as the address space's
  // view() would find them (same region, window and bounds), their offset in `bytesOffset`; undefined
  // when the cache cannot prove the read (the caller then goes through the address space).
  bytesOffset = 0;
  readableBytes(hi: number, lo: number, length: number): Uint8Array | undefined {
    const cached = this.slots[slotOf(hi)];
    const entry = cached !== MISS && cached.segment === hi ? cached : this.fill(hi);
    if (entry === undefined || entry.region === undefined) return undefined;
    const offset = (lo >>> 0) - entry.baseLo;
    if (!(offset >= entry.start && offset + length <= entry.end)) return undefined;
    this.bytesOffset = offset;
    return entry.region.bytes;
  }

  // As readableBytes, for `length` bytes a helper writes (the address space's view() for "write"),
  // noting the lowest offset written as view()'s onWritableView does.
  writableBytes(hi: number, lo: number, length: number): Uint8Array | undefined {
    const cached = this.slots[slotOf(hi)];
    const entry = cached !== MISS && cached.segment === hi ? cached : this.fill(hi);
    if (entry === undefined || entry.region === undefined || !entry.writable) return undefined;
    const offset = (lo >>> 0) - entry.baseLo;
    if (!(offset >= entry.start && offset + length <= entry.end)) return undefined;
    if (offset < entry.low) entry.low = offset;
    this.bytesOffset = offset;
    return entry.region.bytes;
  }

  // The entry of the plain region at a segment (a call frame's stack), which must exist.
  entryAt(segment: number): SegmentEntry {
    const cached = this.slots[slotOf(segment)];
    const entry = cached !== MISS && cached.segment === segment ? cached : this.fill(segment);
    if (entry === undefined || entry.region?.context !== undefined) throw new Error(`compiled eBPF: no plain region at segment 0x${segment.toString(16)}`);
    return entry;
  }

  // The cache entry of the region at a segment, put in its slot; undefined when no region is
  // mapped there or its base lies in another segment (left to the address space).
  private fill(hi: number): SegmentEntry | undefined {
    const region = this.memory.bySegment.get(hi >>> 0);
    if (region === undefined) return undefined;
    let entry = this.entries.get(region);
    if (entry === undefined) {
      const fields = region.context;
      // Only the XDP context's fields are known to depend on nothing but the buffer's offsets.
      const memo = fields !== undefined && this.xdp !== undefined
        ? { fields, known: new Array<boolean>(MEMO_KEYS).fill(false), hi: new Array<number>(MEMO_KEYS).fill(0), lo: new Array<number>(MEMO_KEYS).fill(0), at: [-1, -1, -1] }
        : undefined;
      entry = entryFor(region, memo);
      if ((Number(region.base >> 32n) | 0) === hi) {
        entry.segment = hi;
        entry.baseLo = Number(region.base & 0xffff_ffffn);
        entry.low = 0;
        if (fields === undefined) {
          entry.writable = region.writable;
          entry.view = new DataView(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
        }
      }
      this.entries.set(region, entry);
      if (entry.context !== undefined) this.contextMemos.push(entry.context);
      if (region.window !== undefined && entry.segment === hi) this.windowed.push(entry);
    }
    if (entry.segment !== hi) return undefined;
    // The context is not plain memory: its window stays empty.
    if (region.context === undefined) {
      const window = region.window ? region.window() : undefined;
      entry.start = window ? window.start : 0;
      entry.end = window ? window.end : region.bytes.byteLength;
    }
    this.slots[slotOf(hi)] = entry;
    return entry;
  }

  // A context field (AddressSpace.load hands these to ContextFields.load), remembered until the next flush.
  private loadContext(memo: ContextMemo, hi: number, lo: number, offset: number, size: 1 | 2 | 4 | 8): number {
    const buffer = this.xdp!;
    const at = memo.at;
    if (at[0] !== buffer.dataMeta || at[1] !== buffer.data || at[2] !== buffer.dataEnd) {
      memo.known.fill(false);
      at[0] = buffer.dataMeta;
      at[1] = buffer.data;
      at[2] = buffer.dataEnd;
    }
    const key = offset >= 0 && offset < CONTEXT_MEMO_OFFSETS ? memoKey(offset, size) : -1;
    if (key < 0 || !memo.known[key]) {
      const value = memo.fields.load(offset, size);
      if (typeof value !== "bigint") return this.slowLoad(hi, lo, size);
      bigToPair(value);
      if (key < 0) return this.loaded(PAIR[0], PAIR[1], size);
      memo.known[key] = true;
      memo.hi[key] = PAIR[0];
      memo.lo[key] = PAIR[1];
    }
    return this.loaded(memo.hi[key], memo.lo[key], size);
  }

  // The reference's own load, for every access the cache could not prove.
  private slowLoad(hi: number, lo: number, size: 1 | 2 | 4 | 8): number {
    const loaded = this.memory.load(pairToBig(hi, lo), size);
    if (isMemoryAccessError(loaded)) {
      this.error = loaded;
      return REFUSED;
    }
    bigToPair(loaded);
    return this.loaded(PAIR[0], PAIR[1], size);
  }

  // A loaded value as load*() return it: a context field can be wider than the access (xdp_md.data is a pointer).
  private loaded(valueHi: number, valueLo: number, size: 1 | 2 | 4 | 8): number {
    this.loadedHi = valueHi;
    this.loadedLo = valueLo;
    return size === 8 || valueHi === 0 ? valueLo >>> 0 : WIDE;
  }
}
