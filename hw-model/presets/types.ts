// A loaded preset: the schema's fields (schema.ts) with plain values, and the
// source of each value by its field path ("memory.emem.latencyCycles").
export interface MemoryUnitParams {
  readonly instances: number;
  readonly bytes: number;
  readonly latencyCycles: number;
  readonly cyclesPerCommand: number;
  readonly bytesPerCycle: number;
  readonly atomicCyclesPerCommand: number;
  readonly hasAtomicEngine: boolean;
}

export interface EmemParams extends MemoryUnitParams {
  readonly cacheBytes: number;
  readonly cacheHitLatencyCycles: number;
}

export type MemoryKind = "cls" | "ctm" | "imem" | "emem";

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly clock: { readonly coreMhz: number };
  readonly topology: { readonly islands: number; readonly coresPerIsland: number; readonly threadsPerCore: number };
  readonly core: {
    readonly codeStoreInstructions: number;
    readonly issueCyclesPerInstruction: number;
    readonly takenBranchPenaltyCycles: number;
    readonly contextSwapCycles: number;
    readonly localMemoryBytes: number;
    readonly maxInstructionsPerPacket: number;
  };
  readonly memory: {
    readonly cls: MemoryUnitParams;
    readonly ctm: MemoryUnitParams;
    readonly imem: MemoryUnitParams;
    readonly emem: EmemParams;
    readonly remoteIslandExtraCycles: number;
    readonly threadScratch: { readonly bytesPerThread: number; readonly unit: readonly MemoryKind[] };
  };
  readonly packet: {
    readonly ctmBufferBytes: number;
    readonly headroomBytes: number;
    readonly tailroomBytes: number;
    readonly adjustHeadMinHeadroomBytes: number;
    readonly maxFrameBytes: number;
    readonly ingressBufferPackets: number;
    readonly distributionCyclesPerPacket: number;
  };
  readonly ethernet: { readonly preambleBytes: number; readonly interFrameGapBytes: number; readonly fcsBytes: number; readonly minFrameBytes: number };
  readonly ports: { readonly count: number; readonly rateGbps: number; readonly egressQueuePackets: number };
  readonly rings: { readonly capacity: number; readonly descriptorBytes: number; readonly unit: readonly MemoryKind[] };
  readonly pcie: { readonly rateGbps: number; readonly dmaLatencyNs: number; readonly perPacketOverheadBytes: number };
  readonly host: { readonly cores: number; readonly passCostNs: number; readonly rxRingPackets: number };
  readonly firmware: {
    readonly codeStoreReservedInstructions: number;
    readonly perPacketCycles: number;
    readonly queueSelectionCycles: number;
    readonly callOverheadCycles: number;
    readonly hashCyclesPerKeyWord: number;
    readonly compareCyclesPerKeyWord: number;
    readonly localKeyCyclesPerWord: number;
    readonly hashEntryBytes: number;
    readonly hashEntriesPerBucket: number;
    readonly lockAtomicsPerOperation: number;
    readonly arraysUseHashTable: boolean;
    readonly arrayIndexCycles: number;
    readonly randomCycles: number;
    readonly adjustCycles: number;
    readonly perfEventHeaderBytes: number;
  };
  readonly offload: {
    readonly maxProgramInstructions: number;
    readonly stackBytes: number;
    readonly mapTypes: readonly string[];
    readonly helpers: readonly string[];
    readonly maxMaps: number;
    readonly maxMapEntries: number;
    readonly maxKeyBytes: number;
    readonly maxValueBytes: number;
    readonly maxEntryBytes: number;
    readonly atomicOps: readonly string[];
    readonly mapValueStores: boolean;
    readonly adjustHeadOffMinBytes: number;
    readonly adjustHeadOffMaxBytes: number;
    readonly adjustHeadGuaranteedSubBytes: number;
    readonly adjustHeadGuaranteedAddBytes: number;
  };
  // Field path -> where its value comes from.
  readonly sources: ReadonlyMap<string, string>;
}
