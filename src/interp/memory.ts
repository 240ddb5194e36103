// The simulated address space. A pointer is a plain 64-bit number, as in the
// kernel; each memory region lives in its own 4 GiB segment, so the segment
// number (address >> 32) names the region. A region starts in the middle of
// its segment, so an access that strays up to 2 GiB below or above it is
// still reported against that region ("8 bytes below the stack") rather than
// as a stray address. Segment 0 is unmapped, so NULL or a small scalar used as
// a pointer faults.
//
//   segment   region                                              base address
//   0x1       context (struct xdp_md for XDP)                     0x1_8000_0000
//   0x2       packet frame (only data_meta..data_end accessible)  0x2_8000_0000
//   0x3       input memory (bpf_conformance `-- mem`)             0x3_8000_0000
//   0x4       functions (ld_imm64 pseudo-func targets, for callx) 0x4_8000_0000 + pc
//   0x10+d    stack of call frame d (512 bytes, r10 = its end)    0x10_8000_0000 + d<<32
//   0x100+i   map i (a handle: not dereferenceable)
//   0x1000+   map values and ring-buffer records, allocated as the program runs
//
// Every access is bounds-checked against the region's accessible window; a
// refused access is returned as a MemoryAccessError, never thrown.
import type { AccessKind, MemoryAccessError, RegionKind } from "./fault.ts";

export const Segment = {
  CONTEXT: 0x1,
  PACKET: 0x2,
  INPUT: 0x3,
  FUNCTIONS: 0x4,
  STACK: 0x10,
  MAPS: 0x100,
  DYNAMIC: 0x1000,
} as const;

const SEGMENT_SHIFT = 32n;
const HALF_SEGMENT = 1n << (SEGMENT_SHIFT - 1n);

export const segmentBase = (segment: number): bigint => (BigInt(segment) << SEGMENT_SHIFT) + HALF_SEGMENT;

export interface ByteWindow {
  readonly start: number;
  readonly end: number;
}

// A context whose fields are computed on load (e.g. xdp_md.data yields a packet pointer).
export interface ContextFields {
  readonly sizeBytes: number;
  // The loaded value, or a sentence saying why this load is not a valid context access.
  load(offset: number, size: number): bigint | string;
}

export interface Region {
  readonly kind: RegionKind;
  readonly label: string;
  readonly base: bigint;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  // The accessible part of `bytes` when it is narrower than all of it (the packet).
  readonly window?: () => ByteWindow;
  readonly context?: ContextFields;
}

export interface RegionSpec {
  readonly kind: RegionKind;
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  readonly window?: () => ByteWindow;
  readonly context?: ContextFields;
}

export interface Located {
  readonly region: Region;
  readonly offset: number;
}

export class AddressSpace {
  private readonly regions = new Map<number, Region>();
  private nextDynamic: number = Segment.DYNAMIC;
  // Map values already given an address, by backing buffer and byte offset, so that
  // looking up the same element twice yields the same pointer, as in the kernel.
  private readonly valueRegions = new Map<ArrayBufferLike, Map<number, Region>>();

  mapAt(segment: number, spec: RegionSpec): Region {
    const region: Region = { ...spec, base: segmentBase(segment) };
    this.regions.set(segment, region);
    return region;
  }

  allocate(spec: RegionSpec): Region {
    const segment = this.nextDynamic++;
    return this.mapAt(segment, spec);
  }

  unmap(region: Region): void {
    const segment = Number(region.base >> SEGMENT_SHIFT);
    if (this.regions.get(segment) === region) this.regions.delete(segment);
  }

  // The region holding a live view (a map value), creating it on first sight.
  regionForView(view: Uint8Array, kind: RegionKind, label: string, writable: boolean): Region {
    let byOffset = this.valueRegions.get(view.buffer);
    if (!byOffset) {
      byOffset = new Map();
      this.valueRegions.set(view.buffer, byOffset);
    }
    const known = byOffset.get(view.byteOffset);
    if (known && known.bytes.byteLength === view.byteLength && known.writable === writable) return known;
    const region = this.allocate({ kind, label, bytes: view, writable });
    byOffset.set(view.byteOffset, region);
    return region;
  }

  regionAt(address: bigint): Region | undefined {
    if (address < 0n || address > (1n << 64n) - 1n) return undefined;
    return this.regions.get(Number(address >> SEGMENT_SHIFT));
  }

  // Resolves an access of `size` bytes, checking bounds and permissions.
  locate(address: bigint, size: number, access: AccessKind): Located | MemoryAccessError {
    const region = this.regionAt(address);
    const refuse = (reason: MemoryAccessError["reason"], detail: string): MemoryAccessError => ({
      address,
      size,
      access,
      region: region?.kind,
      regionLabel: region?.label,
      reason,
      detail,
    });
    if (!region) return refuse("unmapped", "no memory region at this address");
    if (region.context) {
      return access === "write" ? refuse("read-only", "the context is read-only") : refuse("context-field", "the context is not plain memory");
    }
    const offset = Number(address - region.base);
    const { start, end } = region.window ? region.window() : { start: 0, end: region.bytes.byteLength };
    if (offset < start || offset + size > end) {
      const lo = region.base + BigInt(start);
      const hi = region.base + BigInt(end);
      return refuse("out-of-bounds", `outside the accessible bytes [0x${lo.toString(16)}, 0x${hi.toString(16)})`);
    }
    if (access === "write" && !region.writable) return refuse("read-only", "the region is read-only");
    return { region, offset };
  }

  // A little-endian load of 1, 2, 4 or 8 bytes, zero-extended.
  load(address: bigint, size: number): bigint | MemoryAccessError {
    const region = this.regionAt(address);
    if (region?.context) return this.loadContext(region, address, size);
    const at = this.locate(address, size, "read");
    if ("reason" in at) return at;
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(at.region.bytes[at.offset + i]);
    return value;
  }

  // A little-endian store of the low `size` bytes of value.
  store(address: bigint, size: number, value: bigint): MemoryAccessError | undefined {
    const at = this.locate(address, size, "write");
    if ("reason" in at) return at;
    for (let i = 0; i < size; i++) at.region.bytes[at.offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
    return undefined;
  }

  // A view of `length` bytes at address, for helpers that read or fill memory.
  view(address: bigint, length: number, access: AccessKind): Uint8Array | MemoryAccessError {
    if (length === 0) return new Uint8Array(0);
    const at = this.locate(address, length, access);
    if ("reason" in at) return at;
    return at.region.bytes.subarray(at.offset, at.offset + length);
  }

  private loadContext(region: Region, address: bigint, size: number): bigint | MemoryAccessError {
    const offset = Number(address - region.base);
    const loaded = region.context!.load(offset, size);
    if (typeof loaded === "bigint") return loaded;
    return { address, size, access: "read", region: region.kind, regionLabel: region.label, reason: "context-field", detail: loaded };
  }
}
