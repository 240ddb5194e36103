// Shared helpers of the hw-model tests: a small set of executor parameters (test
// values, chosen so each cost is distinguishable, not taken from any card) and a
// one-call way to run microcode on a packet.
import { assemble } from "../../hw-model/isa/asm.ts";
import { Executor, type PacketResult } from "../../hw-model/exec/executor.ts";
import type { ExecParams } from "../../hw-model/exec/params.ts";
import { TraceWriter, describeTrace } from "../../hw-model/exec/trace.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";
import type { BpfMap, MapDef } from "../../src/maps/types.ts";
import { MapType } from "../../src/maps/types.ts";
import { ArrayMap } from "../../src/maps/array.ts";
import { HashMap } from "../../src/maps/hash.ts";

export const testParams: ExecParams = {
  issueCyclesPerInstruction: 1,
  takenBranchPenaltyCycles: 2,
  localMemoryBytesPerThread: 512,
  scratchBytesPerThread: 512,
  packetHeadroomBytes: 256,
  packetTailroomBytes: 320,
  maxFrameBytes: 1518,
  ctmPacketBytes: 256 + 64,
  adjustHeadMinHeadroomBytes: 40,
  adjustHeadMaxStartBytes: 400,
  maxInstructionsPerPacket: 10_000,
  ringDescriptorBytes: 16,
  firmware: {
    callOverheadCycles: 10,
    hashCyclesPerKeyWord: 3,
    compareCyclesPerKeyWord: 1,
    localKeyCyclesPerWord: 1,
    hashEntryBytes: 64,
    hashEntriesPerBucket: 1,
    lockAtomicsPerOperation: 2,
    arraysUseHashTable: false,
    arrayIndexCycles: 5,
    randomCycles: 4,
    adjustCycles: 6,
    perfEventHeaderBytes: 8,
  },
};

export const MAP_UNIT = 7;
export const PCIE_UNIT = 9;

export function arrayMap(valueSize: number, maxEntries: number, name = "arr"): BpfMap {
  const def: MapDef = { name, type: MapType.ARRAY, keySize: 4, valueSize, maxEntries, flags: 0 };
  return new ArrayMap(def, 1, false);
}

export function hashMap(keySize: number, valueSize: number, maxEntries: number, name = "hash"): BpfMap {
  const def: MapDef = { name, type: MapType.HASH, keySize, valueSize, maxEntries, flags: 0 };
  return new HashMap(def, 1, false);
}

export function executorFor(stages: string[], maps: BpfMap[] = [], params: ExecParams = testParams): Executor {
  const runtimes = maps.map((m) => new MapRuntime(m, MAP_UNIT, params.firmware.hashEntriesPerBucket, params.firmware.hashEntryBytes, params.firmware.arraysUseHashTable));
  return new Executor({ stages: stages.map((s) => assemble(s)), maps: runtimes, pcieTarget: PCIE_UNIT }, params, 1);
}

export interface Run {
  readonly result: PacketResult;
  readonly trace: string[];
}

export function run(source: string | string[], packet: Uint8Array = new Uint8Array(64), maps: BpfMap[] = []): Run {
  const exec = executorFor(Array.isArray(source) ? source : [source], maps);
  const trace = new TraceWriter();
  const result = exec.runPacket({ data: packet }, trace);
  return { result, trace: describeTrace(trace.buf, trace.length) };
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const u32 = (v: number): number => v >>> 0;
