// The numbers the functional executor and the firmware routines need: costs in
// cycles and sizes in bytes. They come from a preset (presets/derive.ts), never
// from literals in the mechanism.
export interface FirmwareCosts {
  // Entering and leaving a routine: argument moves, the branch in and the return.
  readonly callOverheadCycles: number;
  // Hashing the key (CRC over 32-bit words), per key word.
  readonly hashCyclesPerKeyWord: number;
  // Comparing a candidate entry's key with the searched one, per key word.
  readonly compareCyclesPerKeyWord: number;
  // Fetching the key from local memory into registers, per key word.
  readonly localKeyCyclesPerWord: number;
  // Bytes read for one table entry (descriptor, key and value).
  readonly hashEntryBytes: number;
  // Entries one bucket line holds; colliding entries beyond go to overflow entries found through the line's CAM.
  readonly hashEntriesPerBucket: number;
  // Atomic commands spent on the entry lock per operation (take and release).
  readonly lockAtomicsPerOperation: number;
  // Array maps live in the hash table and go through the same routine.
  readonly arraysUseHashTable: boolean;
  // Computing an array element's address (bounds check, multiply-add).
  readonly arrayIndexCycles: number;
  readonly randomCycles: number;
  readonly adjustCycles: number;
  // Bytes of the control message that carries a perf event to the host (header).
  readonly perfEventHeaderBytes: number;
}

export interface ExecParams {
  readonly issueCyclesPerInstruction: number;
  readonly takenBranchPenaltyCycles: number;
  readonly localMemoryBytesPerThread: number;
  // Bytes of the thread's scratch window (address region 4), where stack bytes that do not fit local memory live.
  readonly scratchBytesPerThread: number;
  readonly packetHeadroomBytes: number;
  readonly packetTailroomBytes: number;
  // Largest frame: the packet buffer holds headroom + this + tailroom.
  readonly maxFrameBytes: number;
  // Buffer bytes (headroom included) kept in cluster target memory.
  readonly ctmPacketBytes: number;
  // adjust_head may not leave less than this much headroom (firmware metadata).
  readonly adjustHeadMinHeadroomBytes: number;
  // ... nor move the packet start further into the buffer than this (the firmware's off_max).
  readonly adjustHeadMaxStartBytes: number;
  // Loop guard: a packet that runs more instructions than this faults.
  readonly maxInstructionsPerPacket: number;
  // Bytes of a ring entry beyond registers and local memory (buffer handle, length, port).
  readonly ringDescriptorBytes: number;
  readonly firmware: FirmwareCosts;
}
