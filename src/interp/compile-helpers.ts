// The helper calls the compiled tier answers itself, with registers as int32
// halves and nothing allocated per call: bpf_map_lookup_elem, update and
// delete, the clocks, the random source, the CPU number, the XDP adjust
// helpers, the redirects, bpf_tail_call and bpf_fib_lookup, the calls a
// packet program makes on nearly every packet. Each does what the reference
// implementation in src/helpers does (map-helpers.ts, basic-helpers.ts, and
// the numeric cores of xdp-helpers.ts, redirect.ts, tail-call.ts and fib.ts,
// which the reference calls too), through the same map operations
// (src/maps), the same address space and the same random source, for
// arguments whose handling is plain: a map handle (an inner map's too), the context, pointers
// into bytes the memory cache can prove readable (or writable), numbers that
// fit a double exactly. Anything else (a bad handle, a pointer the cache
// cannot prove, a clock beyond 2^53 ns, a helper table that replaces the
// reference's implementation) is left to the reference implementation before
// anything has changed, so its results and errors are the reference's. The
// differential tests (test/interp/compile-helpers.test.ts) run both tiers
// over these calls.
import { getPrandomU32, getSmpProcessorId, ktimeGetBootNs, ktimeGetNs } from "../helpers/basic-helpers.ts";
import { mapDeleteElem, mapLookupElem, mapUpdateElem, readOnlyForPrograms } from "../helpers/map-helpers.ts";
import { FIB_LOOKUP_BYTES, fibArgumentsRefused, fibLookup, lookupInto, routesOf } from "../helpers/fib.ts";
import { HelperId } from "../helpers/prototypes.ts";
import { redirect, redirectFlagMask, redirectMap, redirectThroughMap, redirectToIfindex } from "../helpers/redirect.ts";
import type { HelperImplementation, XdpSession } from "../helpers/runtime.ts";
import { MAX_TAIL_CALL_CNT, slotProgram, tailCall } from "../helpers/tail-call.ts";
import { adjustHead, adjustMeta, adjustTail, xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail } from "../helpers/xdp-helpers.ts";
import type { Program } from "../ebpf/instruction.ts";
import { Errno } from "../maps/errno.ts";
import { MapType, type BpfMap } from "../maps/types.ts";
import type { XdpBuffer } from "../xdp/buffer.ts";
import { XdpAction } from "../xdp/layout.ts";
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

// The helpers call() answers, with the reference implementation each stands for.
const REFERENCE_IMPLEMENTATIONS: readonly (readonly [number, HelperImplementation])[] = [
  [HelperId.MAP_LOOKUP_ELEM, mapLookupElem],
  [HelperId.MAP_UPDATE_ELEM, mapUpdateElem],
  [HelperId.MAP_DELETE_ELEM, mapDeleteElem],
  [HelperId.GET_PRANDOM_U32, getPrandomU32],
  [HelperId.GET_SMP_PROCESSOR_ID, getSmpProcessorId],
  [HelperId.KTIME_GET_NS, ktimeGetNs],
  [HelperId.KTIME_GET_BOOT_NS, ktimeGetBootNs],
  [HelperId.XDP_ADJUST_HEAD, xdpAdjustHead],
  [HelperId.XDP_ADJUST_TAIL, xdpAdjustTail],
  [HelperId.XDP_ADJUST_META, xdpAdjustMeta],
  [HelperId.REDIRECT, redirect],
  [HelperId.REDIRECT_MAP, redirectMap],
  [HelperId.TAIL_CALL, tailCall],
  [HelperId.FIB_LOOKUP, fibLookup],
];
const HIGHEST_ANSWERED_ID = Math.max(...REFERENCE_IMPLEMENTATIONS.map(([id]) => id));

// What call() did.
export const FastCall = {
  // Nothing: the reference implementation must run.
  NOT_ANSWERED: 0,
  // r0 is in R[0..1].
  RETURNED: 1,
  // A tail call that did not happen: r0 is as it was.
  FELL_THROUGH: 2,
  // A tail call into `tailProgram`.
  TAIL_CALL: 3,
} as const;

// A clock figure as a double when it is a non-negative safe integer, else -1 (left to the reference).
const exactNs = (value: bigint): number => (value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1);

export class FastHelpers {
  // Copies of keys and values read from program memory, one buffer per size and role (the maps copy what they keep).
  private readonly keyCopies: Uint8Array[] = [];
  private readonly valueCopies: Uint8Array[] = [];
  // Per map handle index (the run's maps, then the inner maps lookups in maps of maps returned, filled
  // in as the program reaches them): the map, whether it is a map of maps, what a value pointer's region
  // is called and whether the program may write it (map-helpers.ts valuePointer).
  private readonly maps: BpfMap[] = [];
  private readonly ofMaps: boolean[] = [];
  private readonly valueLabels: string[] = [];
  private readonly valueWritable: boolean[] = [];
  // Per map handle index, the segment of the region regionForView handed out for each value view, valid
  // while the address space has allocated nothing since (valueSegmentsAt): until then it would hand out the same.
  private readonly valueSegments: Map<Uint8Array, number>[] = [];
  private valueSegmentsAt = -1;
  private readonly startNs: number;
  private readonly nsPerInstruction: number;
  private readonly bootOffsetNs: number;
  // The context pointer's halves (contextInR1 also checks that there is a context).
  private readonly contextHi: number;
  private readonly contextLo: number;
  // 1 at the ids whose implementation in the run's table is the reference's (see answers()).
  private readonly answered = new Uint8Array(HIGHEST_ANSWERED_ID + 1);
  // Where the last TAIL_CALL goes.
  tailProgram: Program | undefined;

  constructor(
    private readonly machine: Machine,
    private readonly mem: MemoryPort,
    private readonly R: number[],
  ) {
    machine.maps.forEach((map, index) => this.describe(index, map));
    this.startNs = exactNs(machine.clock.startNs);
    this.nsPerInstruction = exactNs(machine.clock.nsPerInstruction);
    this.bootOffsetNs = exactNs(machine.clock.bootOffsetNs);
    for (const [id, implementation] of REFERENCE_IMPLEMENTATIONS) {
      if (machine.helpers.get(id) === implementation) this.answered[id] = 1;
    }
    const context = machine.context?.base ?? 0n;
    this.contextHi = Number(context >> 32n) | 0;
    this.contextLo = Number(context & 0xffff_ffffn) | 0;
  }

  // Whether the run's helper table holds the reference implementation for `id` (checked once per machine).
  answers(id: number): boolean {
    return id >= 0 && id < this.answered.length && this.answered[id] === 1;
  }

  // Answers a call answers(id) allows when its arguments are plain (a FastCall). machine.steps must
  // already hold the count at the call.
  call(id: number): number {
    switch (id) {
      case HelperId.TAIL_CALL:
        return this.tailCall();
      case HelperId.MAP_LOOKUP_ELEM:
        return this.answer(this.lookup());
      case HelperId.MAP_UPDATE_ELEM:
        return this.answer(this.update());
      case HelperId.MAP_DELETE_ELEM:
        return this.answer(this.delete());
      case HelperId.GET_PRANDOM_U32:
        return this.answer(this.returnU32(this.machine.random.nextU32()));
      case HelperId.GET_SMP_PROCESSOR_ID:
        return this.answer(this.machine.cpu >>> 0 === this.machine.cpu && this.returnU32(this.machine.cpu));
      case HelperId.KTIME_GET_NS:
        return this.answer(this.returnNs(0));
      case HelperId.KTIME_GET_BOOT_NS:
        return this.answer(this.bootOffsetNs >= 0 && this.returnNs(this.bootOffsetNs));
      case HelperId.XDP_ADJUST_HEAD:
        return this.answer(this.adjust(adjustHead));
      case HelperId.XDP_ADJUST_TAIL:
        return this.answer(this.adjust(adjustTail));
      case HelperId.XDP_ADJUST_META:
        return this.answer(this.adjust(adjustMeta));
      case HelperId.REDIRECT:
        return this.answer(this.redirect());
      case HelperId.REDIRECT_MAP:
        return this.answer(this.redirectMap());
      case HelperId.FIB_LOOKUP:
        return this.answer(this.fibLookup());
      default:
        return FastCall.NOT_ANSWERED;
    }
  }

  private answer(returned: boolean): number {
    return returned ? FastCall.RETURNED : FastCall.NOT_ANSWERED;
  }

  private lookup(): boolean {
    const index = this.mapIndex();
    if (index < 0) return false;
    const map = this.maps[index];
    const key = this.copyIn(this.keyCopies, R2_HI, map.def.keySize);
    if (key === undefined) return false;
    if (this.ofMaps[index]) return this.innerLookup(map, key);
    const value = map.lookup(key, this.machine.cpu);
    if (value === undefined) return this.returnU32(0);
    this.R[0] = this.valueSegment(index, value);
    this.R[1] = BASE_LO;
    return true;
  }

  // map-helpers.ts innerMapPointer: the inner map's handle (a fresh one maps a region no cache entry
  // knows yet), NULL for an empty slot; a run out of handles is left to the reference, which says so.
  private innerLookup(outer: BpfMap, key: Uint8Array): boolean {
    const inner = outer.innerMap!(key);
    if (inner === undefined) return this.returnU32(0);
    const index = this.machine.mapHandles.indexOf(inner);
    if (index === undefined) return false;
    this.R[0] = Segment.MAPS + index;
    this.R[1] = BASE_LO;
    return true;
  }

  // The segment of the region map-helpers.ts valuePointer gives the program for `value`.
  private valueSegment(index: number, value: Uint8Array): number {
    const memory = this.mem.memory;
    if (this.valueSegmentsAt !== memory.allocations) {
      // forEach: an index the program has not reached yet is a hole.
      this.valueSegments.forEach((known) => known.clear());
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
    const map = this.maps[index];
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
    const map = this.maps[index];
    const key = this.copyIn(this.keyCopies, R2_HI, map.def.keySize);
    return key !== undefined && this.returnErrno(map.delete(key));
  }

  // xdp-helpers.ts: r1 the context, r2 the offset as an `int`; the packet's window moves.
  private adjust(core: (buffer: XdpBuffer, offset: number) => number): boolean {
    const xdp = this.contextInR1();
    if (xdp === undefined) return false;
    this.returnErrno(core(xdp.buffer, this.R[R2_HI + 1]));
    this.mem.sync();
    return true;
  }

  // redirect.ts redirect: r1 the ifindex (a u32), r2 the flags.
  private redirect(): boolean {
    const xdp = this.machine.xdp;
    if (xdp === undefined) return false;
    const R = this.R;
    return this.returnU32(redirectToIfindex(xdp, R[R1_HI + 1] >>> 0, (R[R2_HI] | R[R2_HI + 1]) !== 0));
  }

  // redirect.ts redirectMap: r1 a map that redirects, r2 the key (a u32), r3 the flags.
  private redirectMap(): boolean {
    const xdp = this.machine.xdp;
    const index = this.mapIndex(R1_HI);
    if (xdp === undefined || index < 0) return false;
    const map = this.maps[index];
    const flagMask = redirectFlagMask(map.def.type);
    if (flagMask === undefined) return false;
    const R = this.R;
    return this.returnU32(R[R3_HI] !== 0 ? XdpAction.ABORTED : redirectThroughMap(xdp, map, flagMask, R[R2_HI + 1] >>> 0, R[R3_HI + 1] >>> 0));
  }

  // fib.ts fibLookup: r2 the struct (64 bytes the helper writes), r3 its length as an `int`, r4 the flags (a u32).
  private fibLookup(): boolean {
    const R = this.R;
    const flags = R[R4_HI + 1] >>> 0;
    const refused = fibArgumentsRefused(R[R3_HI + 1], flags);
    if (refused !== 0) return this.returnErrno(refused);
    const bytes = this.mem.writableBytes(R[R2_HI], R[R2_HI + 1], FIB_LOOKUP_BYTES);
    if (bytes === undefined) return false;
    const params = new Uint8Array(bytes.buffer, bytes.byteOffset + this.mem.bytesOffset, FIB_LOOKUP_BYTES);
    return this.returnErrno(lookupInto(routesOf(this.machine.routes), params, flags));
  }

  // tail-call.ts tailCall: r1 the context, r2 a prog_array, r3 the index (a u32). The count of tail
  // calls is taken before the empty-slot check; a slot naming a program that is not loaded is left
  // to the reference (which says so), before anything is counted.
  private tailCall(): number {
    const index = this.mapIndex(R2_HI);
    if (this.contextInR1() === undefined || index < 0) return FastCall.NOT_ANSWERED;
    const map = this.maps[index];
    if (map.def.type !== MapType.PROG_ARRAY) return FastCall.NOT_ANSWERED;
    const slot = this.R[R3_HI + 1] >>> 0;
    const machine = this.machine;
    if (slot >= map.def.maxEntries || machine.tailCalls >= MAX_TAIL_CALL_CNT) return FastCall.FELL_THROUGH;
    const programId = slotProgram(map, slot);
    const program = programId === undefined ? undefined : machine.programs.get(programId);
    if (programId !== undefined && program === undefined) return FastCall.NOT_ANSWERED;
    machine.tailCalls++;
    if (program === undefined) return FastCall.FELL_THROUGH;
    this.tailProgram = program;
    return FastCall.TAIL_CALL;
  }

  // args.ts contextArgument and xdpSession: r1 must be the context pointer of an XDP run.
  private contextInR1(): XdpSession | undefined {
    const machine = this.machine;
    const R = this.R;
    return machine.context !== undefined && R[R1_HI] === this.contextHi && R[R1_HI + 1] === this.contextLo ? machine.xdp : undefined;
  }

  // args.ts mapArgument: the register must hold exactly a map handle's address; -1 when it does not (the reference says why).
  private mapIndex(hiAt: number = R1_HI): number {
    const R = this.R;
    const index = (R[hiAt] >>> 0) - Segment.MAPS;
    if (R[hiAt + 1] !== BASE_LO || index < 0) return -1;
    if (this.maps[index] !== undefined) return index;
    const inner = this.machine.mapHandles.at(index);
    if (inner === undefined) return -1;
    this.describe(index, inner);
    return index;
  }

  private describe(index: number, map: BpfMap): void {
    this.maps[index] = map;
    this.ofMaps[index] = map.innerMap !== undefined;
    this.valueLabels[index] = `value in map '${map.def.name}'`;
    this.valueWritable[index] = !readOnlyForPrograms(map);
    this.valueSegments[index] = new Map<Uint8Array, number>();
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
