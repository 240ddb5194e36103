// The helper calls the compiled tier answers itself, with registers as int32
// halves and nothing allocated per call: bpf_map_lookup_elem, update and
// delete, the clocks, the random source and the CPU number, the calls a
// packet program makes on nearly every packet. Each does what the reference
// implementation in src/helpers does (map-helpers.ts, basic-helpers.ts),
// through the same map operations (src/maps), the same address space and the
// same random source, for arguments whose handling is plain: a map handle,
// key and value pointers into bytes the memory cache can prove readable,
// numbers that fit a double exactly. Anything else (a bad handle, a pointer
// the cache cannot prove, a clock beyond 2^53 ns, a helper table that
// replaces the reference's implementation) is left to the reference
// implementation, so its results and errors are the reference's. The
// differential tests run both tiers over these calls.
import { getPrandomU32, getSmpProcessorId, ktimeGetBootNs, ktimeGetNs } from "../helpers/basic-helpers.ts";
import { mapDeleteElem, mapLookupElem, mapUpdateElem, readOnlyForPrograms } from "../helpers/map-helpers.ts";
import { HelperId } from "../helpers/prototypes.ts";
import type { HelperImplementation } from "../helpers/runtime.ts";
import { Errno } from "../maps/errno.ts";
import type { BpfMap } from "../maps/types.ts";
import type { MemoryPort } from "./compile-memory.ts";
import type { Machine } from "./machine.ts";
import { Segment } from "./memory.ts";

const TWO_32 = 4294967296;
// The low half of every region's base: a region starts in the middle of its segment (memory.ts segmentBase).
const BASE_LO = 0x8000_0000 | 0;
// r1..r4 in the register halves array (R[2r] = high, R[2r + 1] = low).
const R1_HI = 2;
const R2_HI = 4;
const R3_HI = 6;
const R4_HI = 8;

// A clock figure as a double when it is a non-negative safe integer, else -1 (left to the reference).
const exactNs = (value: bigint): number => (value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1);

export class FastHelpers {
  // Copies of keys and values read from program memory, one buffer per size and role (the maps copy what they keep).
  private readonly keyCopies: Uint8Array[] = [];
  private readonly valueCopies: Uint8Array[] = [];
  // Per map index: what a value pointer's region is called and whether the program may write it (map-helpers.ts valuePointer).
  private readonly valueLabels: string[];
  private readonly valueWritable: boolean[];
  // Per map index, the segment of the region regionForView handed out for each value view, valid while
  // the address space has allocated nothing since (valueSegmentsAt): until then it would hand out the same.
  private readonly valueSegments: Map<Uint8Array, number>[];
  private valueSegmentsAt = -1;
  private readonly startNs: number;
  private readonly nsPerInstruction: number;
  private readonly bootOffsetNs: number;

  constructor(
    private readonly machine: Machine,
    private readonly mem: MemoryPort,
    private readonly R: number[],
  ) {
    this.valueLabels = machine.maps.map((map) => `value in map '${map.def.name}'`);
    this.valueWritable = machine.maps.map((map) => !readOnlyForPrograms(map));
    this.valueSegments = machine.maps.map(() => new Map<Uint8Array, number>());
    this.startNs = exactNs(machine.clock.startNs);
    this.nsPerInstruction = exactNs(machine.clock.nsPerInstruction);
    this.bootOffsetNs = exactNs(machine.clock.bootOffsetNs);
  }

  // Answers the call when it can: true with r0 in R[0..1], false when the reference implementation must run.
  // machine.steps must already hold the count at the call.
  call(id: number, implementation: HelperImplementation): boolean {
    switch (id) {
      case HelperId.MAP_LOOKUP_ELEM:
        return implementation === mapLookupElem && this.lookup();
      case HelperId.MAP_UPDATE_ELEM:
        return implementation === mapUpdateElem && this.update();
      case HelperId.MAP_DELETE_ELEM:
        return implementation === mapDeleteElem && this.delete();
      case HelperId.GET_PRANDOM_U32:
        return implementation === getPrandomU32 && this.returnU32(this.machine.random.nextU32());
      case HelperId.GET_SMP_PROCESSOR_ID:
        return implementation === getSmpProcessorId && this.machine.cpu >>> 0 === this.machine.cpu && this.returnU32(this.machine.cpu);
      case HelperId.KTIME_GET_NS:
        return implementation === ktimeGetNs && this.returnNs(0);
      case HelperId.KTIME_GET_BOOT_NS:
        return implementation === ktimeGetBootNs && this.bootOffsetNs >= 0 && this.returnNs(this.bootOffsetNs);
      default:
        return false;
    }
  }

  private lookup(): boolean {
    const index = this.mapIndex();
    if (index < 0) return false;
    const map = this.machine.maps[index];
    const key = this.copyIn(this.keyCopies, R2_HI, map.def.keySize);
    if (key === undefined) return false;
    const value = map.lookup(key, this.machine.cpu);
    if (value === undefined) return this.returnU32(0);
    this.R[0] = this.valueSegment(index, value);
    this.R[1] = BASE_LO;
    return true;
  }

  // The segment of the region map-helpers.ts valuePointer gives the program for `value`.
  private valueSegment(index: number, value: Uint8Array): number {
    const memory = this.mem.memory;
    if (this.valueSegmentsAt !== memory.allocations) {
      for (const known of this.valueSegments) known.clear();
      this.valueSegmentsAt = memory.allocations;
    }
    const known = this.valueSegments[index];
    const segment = known.get(value);
    if (segment !== undefined) return segment;
    const region = memory.regionForView(value, "map-value", this.valueLabels[index], this.valueWritable[index]);
    const made = Number(region.base >> 32n) | 0;
    // Remembered only when nothing was allocated for it (a fresh region clears everything anyway).
    if (this.valueSegmentsAt === memory.allocations) known.set(value, made);
    return made;
  }

  private update(): boolean {
    const index = this.mapIndex();
    if (index < 0) return false;
    const map = this.machine.maps[index];
    const key = this.copyIn(this.keyCopies, R2_HI, map.def.keySize);
    if (key === undefined) return false;
    const value = this.copyIn(this.valueCopies, R3_HI, map.def.valueSize);
    if (value === undefined) return false;
    // map-helpers.ts mapFlags: a flags word beyond 32 bits is EINVAL before the map sees it.
    const R = this.R;
    return this.returnErrno(R[R4_HI] !== 0 ? -Errno.EINVAL : map.update(key, value, R[R4_HI + 1] >>> 0, this.machine.cpu));
  }

  private delete(): boolean {
    const index = this.mapIndex();
    if (index < 0) return false;
    const map: BpfMap = this.machine.maps[index];
    const key = this.copyIn(this.keyCopies, R2_HI, map.def.keySize);
    return key !== undefined && this.returnErrno(map.delete(key));
  }

  // args.ts mapArgument: r1 must be exactly a map handle's address; -1 when it is not (the reference says why).
  private mapIndex(): number {
    const R = this.R;
    const index = (R[R1_HI] >>> 0) - Segment.MAPS;
    return R[R1_HI + 1] === BASE_LO && index >= 0 && index < this.machine.maps.length ? index : -1;
  }

  // args.ts readBytes: a copy of `length` bytes at the pointer in R[hiAt..hiAt+1], or undefined when
  // the memory cache cannot prove them readable (or there are none: the address space answers those).
  private copyIn(copies: Uint8Array[], hiAt: number, length: number): Uint8Array | undefined {
    if (length <= 0) return undefined;
    const mem = this.mem;
    const bytes = mem.readableBytes(this.R[hiAt], this.R[hiAt + 1], length);
    if (bytes === undefined) return undefined;
    let copy = copies[length];
    if (copy === undefined) {
      copy = new Uint8Array(length);
      copies[length] = copy;
    }
    const offset = mem.bytesOffset;
    for (let i = 0; i < length; i++) copy[i] = bytes[offset + i];
    return copy;
  }

  private returnU32(value: number): boolean {
    this.R[0] = 0;
    this.R[1] = value | 0;
    return true;
  }

  // runtime.ts returns(): a negative errno wraps to 64 bits.
  private returnErrno(value: number): boolean {
    this.R[0] = value < 0 ? -1 : 0;
    this.R[1] = value | 0;
    return true;
  }

  // basic-helpers.ts monotonicNs plus `offsetNs`, when every figure and the sum stay exact in a double.
  private returnNs(offsetNs: number): boolean {
    if (this.startNs < 0 || this.nsPerInstruction < 0) return false;
    const elapsedNs = this.machine.steps * this.nsPerInstruction;
    const ns = this.startNs + elapsedNs + offsetNs;
    if (!(elapsedNs <= Number.MAX_SAFE_INTEGER && ns <= Number.MAX_SAFE_INTEGER)) return false;
    this.R[0] = (ns / TWO_32) | 0;
    this.R[1] = ns | 0;
    return true;
  }
}
