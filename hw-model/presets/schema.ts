// The preset schema: what a card description must contain, checked field by
// field when it is loaded, with errors that name the field's path. Every number
// (and every list of capability facts) is a parameter { value, source }: the
// source says where the number comes from (a document, the nfp driver, the NIC
// firmware, a paper) or starts with "estimate:" and gives the reasoning.

export type FieldSpec =
  | { readonly kind: "number"; readonly min?: number; readonly max?: number; readonly integer?: boolean; readonly doc: string; readonly unit?: string }
  | { readonly kind: "boolean"; readonly doc: string }
  | { readonly kind: "strings"; readonly doc: string; readonly allowed?: readonly string[] }
  | { readonly kind: "text"; readonly doc: string }
  | { readonly kind: "section"; readonly doc: string; readonly fields: Readonly<Record<string, FieldSpec>> };

const int = (doc: string, min = 0, unit?: string, max?: number): FieldSpec => ({ kind: "number", integer: true, min, max, doc, unit });
const real = (doc: string, min = 0, unit?: string): FieldSpec => ({ kind: "number", min, doc, unit });
const section = (doc: string, fields: Record<string, FieldSpec>): FieldSpec => ({ kind: "section", doc, fields });

// One memory unit kind (CLS, CTM, IMEM, EMEM).
const memoryUnit = (doc: string, extra: Record<string, FieldSpec> = {}): FieldSpec =>
  section(doc, {
    instances: int("instances of this unit (per island for cls/ctm, per chip for imem/emem)", 1),
    bytes: int("capacity of one instance", 1, "bytes"),
    latencyCycles: int("unloaded read latency, issue to signal", 1, "cycles"),
    cyclesPerCommand: real("service time of one command at the unit (its command rate is the inverse)", 0, "cycles"),
    bytesPerCycle: real("data bandwidth of one instance", 0.001, "bytes/cycle"),
    atomicCyclesPerCommand: real("service time of one atomic-engine command", 0, "cycles"),
    hasAtomicEngine: { kind: "boolean", doc: "the unit has an atomic engine (add, test-and-set)" },
    ...extra,
  });

export const presetSchema: Readonly<Record<string, FieldSpec>> = {
  name: { kind: "text", doc: "preset name, as given to --preset" },
  description: { kind: "text", doc: "the card this preset describes" },
  clock: section("clocks", { coreMhz: real("microengine clock", 1, "MHz") }),
  topology: section("cores", {
    islands: int("microengine islands available to the application", 1),
    coresPerIsland: int("microengines (flow processing cores) per island", 1),
    threadsPerCore: int("hardware threads (contexts) per microengine", 1, undefined, 8),
  }),
  core: section("one microengine", {
    codeStoreInstructions: int("code store size", 1, "instructions"),
    issueCyclesPerInstruction: int("cycles one instruction occupies the issue slot", 1, "cycles"),
    takenBranchPenaltyCycles: int("cycles lost on a taken branch (instructions aborted in the pipeline)", 0, "cycles"),
    contextSwapCycles: int("cycles to switch to another ready thread after ctx_arb", 0, "cycles"),
    localMemoryBytes: int("local memory of one microengine, shared by its threads", 1, "bytes"),
    maxInstructionsPerPacket: int("loop guard of the model: a packet that runs more faults", 1, "instructions"),
  }),
  memory: section("memory units", {
    cls: memoryUnit("cluster local scratch, one per island"),
    ctm: memoryUnit("cluster target memory, one per island; holds packet heads"),
    imem: memoryUnit("internal SRAM"),
    emem: memoryUnit("external DRAM behind its cache", {
      cacheBytes: int("cache in front of the DRAM, per instance", 0, "bytes"),
      cacheHitLatencyCycles: int("read latency when the line is in the cache", 1, "cycles"),
    }),
    remoteIslandExtraCycles: int("extra latency when a core reaches another island's CLS or CTM", 0, "cycles"),
    threadScratch: section("per-thread scratch windows (address region 4) for stack bytes that do not fit local memory", {
      bytesPerThread: int("window of one thread, in a unit of the thread's own island", 0, "bytes"),
      unit: { kind: "strings", doc: "the island memory unit kind the windows live in", allowed: ["cls", "ctm"] },
    }),
  }),
  packet: section("packet buffers", {
    ctmBufferBytes: int("bytes of each packet buffer kept in CTM (the rest goes to EMEM)", 1, "bytes"),
    headroomBytes: int("headroom before the packet data", 0, "bytes"),
    tailroomBytes: int("bytes at the end of the buffer that adjust_tail may not grow into", 0, "bytes"),
    adjustHeadMinHeadroomBytes: int("headroom adjust_head must leave", 0, "bytes"),
    maxFrameBytes: int("largest frame the card receives", 64, "bytes"),
    ingressBufferPackets: int("packets the ingress buffers hold while waiting for a thread", 1, "packets"),
    distributionCyclesPerPacket: real("packet engine time to hand one packet to the first stage", 0, "cycles"),
  }),
  ethernet: section("Ethernet framing on the wire", {
    preambleBytes: int("preamble and start-of-frame delimiter", 0, "bytes"),
    interFrameGapBytes: int("minimum inter-frame gap", 0, "bytes"),
    fcsBytes: int("frame check sequence, not in the captured packet", 0, "bytes"),
    minFrameBytes: int("minimum frame including FCS", 1, "bytes"),
  }),
  ports: section("network ports", {
    count: int("ports", 1),
    rateGbps: real("line rate of one port", 0.001, "Gb/s"),
    egressQueuePackets: int("frames waiting to be sent on one port before more are dropped", 1, "packets"),
  }),
  rings: section("work queues between stages", {
    capacity: int("entries of one stage's input ring", 1, "entries"),
    descriptorBytes: int("bytes of a ring entry beyond carried registers and local memory", 0, "bytes"),
    unit: { kind: "strings", doc: "the memory unit kind rings live in", allowed: ["cls", "ctm", "imem", "emem"] },
  }),
  pcie: section("PCIe to the host", {
    rateGbps: real("usable DMA bandwidth", 0.001, "Gb/s"),
    dmaLatencyNs: real("latency of one DMA transfer", 0, "ns"),
    perPacketOverheadBytes: int("descriptor and TLP overhead per packet", 0, "bytes"),
  }),
  host: section("the host side", {
    cores: int("host CPU cores serving packets passed up or sent to the host stage", 1),
    passCostNs: real("host driver cost to receive one XDP_PASS packet", 0, "ns"),
    rxRingPackets: int("packets the host receive rings hold while the host cores are busy", 1, "packets"),
  }),
  firmware: section("firmware routines (map helpers) on the microengine", {
    codeStoreReservedInstructions: int("code store the firmware keeps for itself", 0, "instructions"),
    perPacketCycles: int("firmware work per packet outside the program (receive, metadata, buffer handling, moving to the next packet), on the core running the first stage", 0, "cycles"),
    queueSelectionCycles: int("firmware work per packet choosing the host queue before the program runs, on the core running the first stage", 0, "cycles"),
    callOverheadCycles: int("entering and leaving a routine", 0, "cycles"),
    hashCyclesPerKeyWord: int("hashing the key, per 32-bit word", 0, "cycles"),
    compareCyclesPerKeyWord: int("comparing a candidate key, per 32-bit word", 0, "cycles"),
    localKeyCyclesPerWord: int("fetching a key word from local memory", 0, "cycles"),
    hashEntryBytes: int("bytes read for one table entry (descriptor, key and value)", 1, "bytes"),
    hashEntriesPerBucket: int("entries one bucket line holds before colliding entries go to overflow entries", 1),
    lockAtomicsPerOperation: int("atomic commands a map operation spends on the entry lock (take and release)", 0),
    arraysUseHashTable: { kind: "boolean", doc: "array maps are kept in the same table as hash maps and looked up by the same routine" },
    arrayIndexCycles: int("computing an array element's address", 0, "cycles"),
    randomCycles: int("producing a pseudo-random number", 0, "cycles"),
    adjustCycles: int("moving the packet start or end", 0, "cycles"),
    perfEventHeaderBytes: int("control-message header of a perf event sent to the host", 0, "bytes"),
  }),
  offload: section("what the card's eBPF offload accepts (read by the compiler)", {
    maxProgramInstructions: int("largest translated program the firmware loads", 1, "instructions"),
    stackBytes: int("eBPF stack per thread", 0, "bytes"),
    mapTypes: { kind: "strings", doc: "map types that can be offloaded (kernel names without BPF_MAP_TYPE_)" },
    helpers: { kind: "strings", doc: "BPF helpers an offloaded program may call" },
    maxMaps: int("offloaded maps", 0),
    maxMapEntries: int("entries of all offloaded maps together", 0),
    maxKeyBytes: int("largest key", 0, "bytes"),
    maxValueBytes: int("largest value", 0, "bytes"),
    maxEntryBytes: int("largest key + value", 0, "bytes"),
    atomicOps: { kind: "strings", doc: "eBPF atomic operations supported on map values" },
    mapValueStores: { kind: "boolean", doc: "direct stores into map values are allowed" },
    adjustHeadOffMinBytes: int("adjust_head: smallest packet start offset", 0, "bytes"),
    adjustHeadOffMaxBytes: int("adjust_head: largest packet start offset", 0, "bytes"),
    adjustHeadGuaranteedSubBytes: int("adjust_head: bytes a program may always grow the head by", 0, "bytes"),
    adjustHeadGuaranteedAddBytes: int("adjust_head: bytes a program may always shrink the head by", 0, "bytes"),
  }),
};
