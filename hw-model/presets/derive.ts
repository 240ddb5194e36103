// Values the mechanism needs, computed from a preset: the executor's parameters
// and unit conversions. Nothing here invents a number; each comes from a preset field.
import type { ExecParams } from "../exec/params.ts";
import type { Preset } from "./types.ts";

export function execParamsOf(p: Preset): ExecParams {
  const fw = p.firmware;
  return {
    issueCyclesPerInstruction: p.core.issueCyclesPerInstruction,
    takenBranchPenaltyCycles: p.core.takenBranchPenaltyCycles,
    localMemoryBytesPerThread: p.core.localMemoryBytes / p.topology.threadsPerCore,
    scratchBytesPerThread: p.memory.threadScratch.bytesPerThread,
    packetHeadroomBytes: p.packet.headroomBytes,
    packetTailroomBytes: p.packet.tailroomBytes,
    maxFrameBytes: p.packet.maxFrameBytes,
    ctmPacketBytes: p.packet.ctmBufferBytes,
    adjustHeadMinHeadroomBytes: p.packet.adjustHeadMinHeadroomBytes,
    adjustHeadMaxStartBytes: p.offload.adjustHeadOffMaxBytes,
    maxInstructionsPerPacket: p.core.maxInstructionsPerPacket,
    ringDescriptorBytes: p.rings.descriptorBytes,
    firmware: {
      callOverheadCycles: fw.callOverheadCycles,
      hashCyclesPerKeyWord: fw.hashCyclesPerKeyWord,
      compareCyclesPerKeyWord: fw.compareCyclesPerKeyWord,
      localKeyCyclesPerWord: fw.localKeyCyclesPerWord,
      hashEntryBytes: fw.hashEntryBytes,
      hashEntriesPerBucket: fw.hashEntriesPerBucket,
      lockAtomicsPerOperation: fw.lockAtomicsPerOperation,
      arraysUseHashTable: fw.arraysUseHashTable,
      arrayIndexCycles: fw.arrayIndexCycles,
      randomCycles: fw.randomCycles,
      adjustCycles: fw.adjustCycles,
      perfEventHeaderBytes: fw.perfEventHeaderBytes,
    },
  };
}

// Core cycles the firmware spends on every packet outside the program, all charged where the packet's
// first stage runs: Krude et al. (CoNEXT '21, §4.1) give one per-packet figure (with host-queue selection
// removed) and no split between receive and send/free, so none is made; queue selection adds its own cost.
export const firmwareCyclesPerPacket = (p: Preset): number => p.firmware.perPacketCycles + p.firmware.queueSelectionCycles;

export const totalCores = (p: Preset): number => p.topology.islands * p.topology.coresPerIsland;
export const cyclesPerNs = (p: Preset): number => p.clock.coreMhz / 1000;
export const nsToCycles = (p: Preset, ns: number): number => ns * cyclesPerNs(p);
export const cyclesToNs = (p: Preset, cycles: number): number => cycles / cyclesPerNs(p);

// Bytes a frame of `packetBytes` (without FCS) occupies on the wire: padded to the
// minimum frame, plus FCS, preamble and inter-frame gap.
export function wireBytes(p: Preset, packetBytes: number): number {
  const e = p.ethernet;
  return Math.max(packetBytes + e.fcsBytes, e.minFrameBytes) + e.preambleBytes + e.interFrameGapBytes;
}

// Nanoseconds one frame occupies a port at `rateGbps`.
export const wireNs = (p: Preset, packetBytes: number, rateGbps: number): number => (wireBytes(p, packetBytes) * 8) / rateGbps;

// Instructions a stage program may have: the offload limit and what the code store leaves.
export const programInstructionLimit = (p: Preset): number =>
  Math.min(p.offload.maxProgramInstructions, p.core.codeStoreInstructions - p.firmware.codeStoreReservedInstructions);
