// What each firmware routine does and what it costs. The function goes through
// src/maps (BpfMap) for map routines and through the packet state for packet
// routines; the cost is written to the work trace as cycles on the calling
// thread and memory commands to the unit that holds the data, each waited for
// on the firmware's own signal (FW_SIGNAL).
import { FwRoutine } from "../isa/fwcall.ts";
import type { ExecParams } from "../exec/params.ts";
import type { TraceWriter } from "../exec/trace.ts";
import { MemKind } from "../exec/trace.ts";
import type { PacketState } from "../exec/packet.ts";
import type { MapRuntime } from "./map-runtime.ts";

// Signal number the routines use for their own memory commands; a program must
// not have it outstanding when it calls a routine.
export const FW_SIGNAL = 15;
// Where bytes a routine reads live: a memory-unit target (see trace.ts), or local memory.
export const TARGET_LOCAL = -3;
// Kernel errno values the routines return (include/uapi/asm-generic/errno-base.h).
export const EFAULT = 14;
export const EINVAL = 22;
// Bytes of the entry-lock word an atomic lock command works on (hashmap.uc: a 64-bit test_add).
const LOCK_BYTES = 8;
// Ethernet header length: adjust_head/adjust_tail keep at least this much data (kernel: ETH_HLEN).
export const ETH_HLEN = 14;

export interface Located {
  readonly view: Uint8Array;
  readonly target: number;
}

// A fault of the running packet: the executor turns it into the packet's outcome.
export class MicrocodeFault extends Error {}

export interface PerfEvent {
  readonly mapIndex: number;
  readonly bytes: Uint8Array;
}

// What a routine may use of the executor.
export interface FirmwareContext {
  readonly params: ExecParams;
  readonly trace: TraceWriter;
  readonly maps: readonly MapRuntime[];
  readonly packet: PacketState;
  readonly pcieTarget: number;
  // `bytes` bytes at a model address, or a MicrocodeFault thrown.
  locate(address: number, bytes: number, what: string): Located;
  // A model address for a live map value (region 2).
  valueHandle(mapIndex: number, view: Uint8Array): number;
  nextRandom(): number;
  emitPerfEvent(event: PerfEvent): void;
}

const words = (bytes: number): number => Math.ceil(bytes / 4);

// Charges fetching `bytes` from where they live: cycles from local memory, a waited command otherwise.
function chargeFetch(ctx: FirmwareContext, at: Located, bytes: number): void {
  if (at.target === TARGET_LOCAL) {
    ctx.trace.run(words(bytes) * ctx.params.firmware.localKeyCyclesPerWord);
    return;
  }
  ctx.trace.mem(at.target, bytes, MemKind.READ, FW_SIGNAL);
  ctx.trace.wait(1 << FW_SIGNAL);
}

function command(ctx: FirmwareContext, target: number, bytes: number, kind: (typeof MemKind)[keyof typeof MemKind]): void {
  ctx.trace.mem(target, bytes, kind, FW_SIGNAL);
  ctx.trace.wait(1 << FW_SIGNAL);
}

function mapAt(ctx: FirmwareContext, mapIndex: number): MapRuntime {
  const m = ctx.maps[mapIndex];
  if (!m) throw new MicrocodeFault(`map #${mapIndex} is not in the image (it has ${ctx.maps.length})`);
  return m;
}

// Reads the key into the map's scratch buffer and charges fetching and hashing it.
function fetchKey(ctx: FirmwareContext, m: MapRuntime, keyAddress: number): Uint8Array {
  const size = m.map.def.keySize;
  const at = ctx.locate(keyAddress, size, "key");
  chargeFetch(ctx, at, size);
  m.keyScratch.set(at.view);
  return m.keyScratch;
}

// Charges finding a key in the table: hashing, taking the entry lock, reading the
// bucket's line (and an overflow entry), comparing keys, releasing the lock.
// `entries`: the table entries the search reads, counted before the operation changed the table.
function chargeTableSearch(ctx: FirmwareContext, m: MapRuntime, key: Uint8Array, found: boolean, entries = m.entriesRead(key)): void {
  const fw = ctx.params.firmware;
  const keyWords = words(key.length);
  ctx.trace.run(keyWords * fw.hashCyclesPerKeyWord);
  const takes = Math.ceil(fw.lockAtomicsPerOperation / 2);
  for (let i = 0; i < takes; i++) command(ctx, m.target, LOCK_BYTES, MemKind.ATOMIC);
  for (let i = 0; i < entries; i++) command(ctx, m.target, fw.hashEntryBytes, MemKind.READ);
  if (found) ctx.trace.run(keyWords * fw.compareCyclesPerKeyWord);
}

function chargeUnlock(ctx: FirmwareContext, m: MapRuntime): void {
  const fw = ctx.params.firmware;
  const releases = fw.lockAtomicsPerOperation - Math.ceil(fw.lockAtomicsPerOperation / 2);
  for (let i = 0; i < releases; i++) command(ctx, m.target, LOCK_BYTES, MemKind.ATOMIC);
}

function mapLookup(ctx: FirmwareContext, mapIndex: number, keyAddress: number): number {
  const m = mapAt(ctx, mapIndex);
  const key = fetchKey(ctx, m, keyAddress);
  const view = m.map.lookup(key, 0);
  if (m.hashed) {
    chargeTableSearch(ctx, m, key, view !== undefined);
    chargeUnlock(ctx, m);
  } else ctx.trace.run(ctx.params.firmware.arrayIndexCycles);
  return view === undefined ? 0 : ctx.valueHandle(mapIndex, view);
}

function mapUpdate(ctx: FirmwareContext, mapIndex: number, keyAddress: number, valueAddress: number, flags: number): number {
  const m = mapAt(ctx, mapIndex);
  const def = m.map.def;
  const key = fetchKey(ctx, m, keyAddress).slice();
  const valueAt = ctx.locate(valueAddress, def.valueSize, "value");
  chargeFetch(ctx, valueAt, def.valueSize);
  const value = valueAt.view.slice();
  const existed = m.map.lookup(key, 0) !== undefined;
  const entries = m.entriesRead(key);
  // Flags are a 64-bit argument; the routine gets its low word (the kernel's flags all fit in it).
  const err = m.map.update(key, value, flags >>> 0, 0);
  if (m.hashed) {
    chargeTableSearch(ctx, m, key, existed, entries);
    if (err === 0) {
      command(ctx, m.target, ctx.params.firmware.hashEntryBytes, MemKind.WRITE);
      if (!existed) m.noteInserted(key);
    }
    chargeUnlock(ctx, m);
  } else {
    ctx.trace.run(ctx.params.firmware.arrayIndexCycles);
    if (err === 0) command(ctx, m.target, def.valueSize, MemKind.WRITE);
  }
  return err;
}

function mapDelete(ctx: FirmwareContext, mapIndex: number, keyAddress: number): number {
  const m = mapAt(ctx, mapIndex);
  const key = fetchKey(ctx, m, keyAddress);
  const existed = m.map.lookup(key, 0) !== undefined;
  const entries = m.entriesRead(key);
  const err = m.map.delete(key);
  if (m.hashed) {
    chargeTableSearch(ctx, m, key, existed, entries);
    if (err === 0 && existed) {
      command(ctx, m.target, ctx.params.firmware.hashEntryBytes, MemKind.WRITE);
      m.noteDeleted(key);
    }
    chargeUnlock(ctx, m);
  } else ctx.trace.run(ctx.params.firmware.arrayIndexCycles);
  return err;
}

function adjustHead(ctx: FirmwareContext, delta: number): number {
  const p = ctx.packet;
  ctx.trace.run(ctx.params.firmware.adjustCycles);
  const metaLength = p.dataStart - p.metaStart;
  const start = p.dataStart + delta;
  // The kernel's limits (headroom for the frame, an Ethernet header left), and the NIC firmware's
  // window for the packet start (off_min..off_max of its adjust_head capability).
  if (start - metaLength < ctx.params.adjustHeadMinHeadroomBytes || start > p.dataEnd - ETH_HLEN || start > ctx.params.adjustHeadMaxStartBytes) return -EINVAL;
  if (metaLength) p.buffer.copyWithin(p.metaStart + delta, p.metaStart, p.dataStart);
  p.metaStart += delta;
  p.dataStart = start;
  p.noteStart(p.metaStart);
  return 0;
}

function adjustTail(ctx: FirmwareContext, delta: number): number {
  const p = ctx.packet;
  ctx.trace.run(ctx.params.firmware.adjustCycles);
  const end = p.dataEnd + delta;
  if (end < p.dataStart + ETH_HLEN || end > p.buffer.length - ctx.params.packetTailroomBytes) return -EINVAL;
  // Bytes uncovered by growing are zeroed, as the kernel's bpf_xdp_adjust_tail does.
  if (end > p.dataEnd) p.buffer.fill(0, p.dataEnd, end);
  p.dataEnd = end;
  return 0;
}

// BPF_F_CTXLEN_MASK >> 32: the packet bytes to append sit in bits 32..51 of the flags.
const CTXLEN_MASK_HI = 0xfffff;

function perfOutput(ctx: FirmwareContext, mapIndex: number, flagsLo: number, flagsHi: number, dataAddress: number, size: number): number {
  const m = mapAt(ctx, mapIndex);
  if (m.kind !== "perf_event_array") return -EINVAL;
  const p = ctx.packet;
  const sampleBytes = flagsHi & CTXLEN_MASK_HI;
  // bpf_perf_event_output returns -EFAULT when the requested packet sample is longer than the packet.
  if (size < 0 || sampleBytes > p.length) return -EFAULT;
  const at = ctx.locate(dataAddress, size, "perf event data");
  chargeFetch(ctx, at, size);
  const bytes = new Uint8Array(size + sampleBytes);
  bytes.set(at.view);
  bytes.set(p.buffer.subarray(p.dataStart, p.dataStart + sampleBytes), size);
  // The map decides whether the slot exists (src/maps); the packet sample is appended here, as the XDP helper does.
  const err = m.map.perfEventOutput ? m.map.perfEventOutput(BigInt(flagsLo >>> 0), bytes, 0) : 0;
  if (err !== 0) return err;
  ctx.emitPerfEvent({ mapIndex, bytes });
  command(ctx, ctx.pcieTarget, ctx.params.firmware.perfEventHeaderBytes + bytes.length, MemKind.WRITE);
  return 0;
}

// Runs routine `id` with the instruction's map index and register arguments; returns what `d` receives.
export function callRoutine(ctx: FirmwareContext, id: number, mapIndex: number, a: number, b: number, c: number, x: number): number {
  ctx.trace.run(ctx.params.firmware.callOverheadCycles);
  switch (id) {
    case FwRoutine.MAP_LOOKUP:
      return mapLookup(ctx, mapIndex, a);
    case FwRoutine.MAP_UPDATE:
      return mapUpdate(ctx, mapIndex, a, b, c);
    case FwRoutine.MAP_DELETE:
      return mapDelete(ctx, mapIndex, a);
    case FwRoutine.RANDOM:
      ctx.trace.run(ctx.params.firmware.randomCycles);
      return ctx.nextRandom();
    case FwRoutine.ADJUST_HEAD:
      return adjustHead(ctx, a);
    case FwRoutine.ADJUST_TAIL:
      return adjustTail(ctx, a);
    case FwRoutine.PERF_OUTPUT:
      return perfOutput(ctx, mapIndex, a, b, c, x);
    default:
      throw new MicrocodeFault(`firmware routine ${id} does not exist`);
  }
}
