// The model's 32-bit address space. What a program holds in a register as a
// pointer is a model address: the top four bits name a region, the rest an
// offset in it. Pointers are plain 32-bit values, so a compiler adds offsets to
// them with `add` and tests them against 0 with `sub --`, as eBPF code does.
//
//   region 0  null: nothing lives here, so a failed map lookup returns 0
//   region 1  packet buffer: offset = byte offset in the packet's buffer
//             (headroom first, then data). The first `ctmHeadBytes` of the buffer
//             sit in cluster target memory (CTM), the rest in external memory.
//   region 2  map values: bits 27..16 a handle, bits 15..0 an offset in the value.
//             A handle is handed out by a map routine (map_lookup) for one live
//             value of one map and stays valid for the rest of that packet, across
//             its stages. Reads and writes go to the memory unit the map was placed in.
//   region 3  local memory of the running thread: offset = byte in its window.
//             Only lm_ld/lm_st and firmware routines (for keys on the stack) use it.
//   region 4  thread scratch: offset = byte in the running thread's spill window,
//             a preset-sized window in a memory unit of the thread's island
//             (memory.threadScratch). Reached with memory commands like regions 1
//             and 2; holds the stack bytes that do not fit local memory.
export const REGION_SHIFT = 28;
export const OFFSET_MASK = 0x0fffffff;
export const Region = { NULL: 0, PACKET: 1, MAP_VALUE: 2, LOCAL: 3, SCRATCH: 4 } as const;
export const HANDLE_SHIFT = 16;
export const HANDLE_MASK = 0xfff;
export const VALUE_OFFSET_MASK = 0xffff;
// Handles per packet; a packet that asks for more faults.
export const MAX_HANDLES = HANDLE_MASK + 1;
// Largest map value a handle can address.
export const MAX_VALUE_BYTES = VALUE_OFFSET_MASK + 1;

export const regionOf = (address: number): number => address >>> REGION_SHIFT;
export const packetAddress = (bufferOffset: number): number => ((Region.PACKET << REGION_SHIFT) | bufferOffset) | 0;
export const localAddress = (lmOffset: number): number => ((Region.LOCAL << REGION_SHIFT) | lmOffset) | 0;
export const scratchAddress = (scratchOffset: number): number => ((Region.SCRATCH << REGION_SHIFT) | scratchOffset) | 0;
export const valueAddress = (handle: number, offset: number): number => ((Region.MAP_VALUE << REGION_SHIFT) | (handle << HANDLE_SHIFT) | offset) | 0;

export const hexAddress = (address: number): string => `0x${(address >>> 0).toString(16).padStart(8, "0")}`;
