// A fault ends a run the way a crash would end it on a real machine, but as a
// value: the instruction index, what went wrong in one sentence, and the
// particulars a caller can test. Nothing the simulated program does throws.

export type RegionKind =
  | "stack"
  | "packet"
  | "context"
  | "map-value"
  | "input"
  | "ringbuf-record"
  | "map"
  | "function";

export type AccessKind = "read" | "write";

export type MemoryFaultReason = "unmapped" | "out-of-bounds" | "read-only" | "context-field";

// A memory access that the address space refused, before it is tied to a pc.
export interface MemoryAccessError {
  readonly address: bigint;
  readonly size: number;
  readonly access: AccessKind;
  readonly region: RegionKind | undefined; // undefined when no region covers the address
  readonly regionLabel: string | undefined;
  readonly reason: MemoryFaultReason;
  readonly detail: string;
}

export type Fault =
  | ({ readonly kind: "memory"; readonly pc: number; readonly message: string } & MemoryAccessError)
  | { readonly kind: "budget"; readonly pc: number; readonly message: string; readonly maxSteps: number }
  | { readonly kind: "call-depth"; readonly pc: number; readonly message: string; readonly maxFrames: number }
  | { readonly kind: "invalid-instruction"; readonly pc: number; readonly message: string; readonly opcode: number }
  | { readonly kind: "pc-out-of-range"; readonly pc: number; readonly message: string }
  | { readonly kind: "unknown-helper"; readonly pc: number; readonly message: string; readonly helperId: number }
  | { readonly kind: "kfunc"; readonly pc: number; readonly message: string; readonly btfId: number; readonly name?: string }
  | { readonly kind: "helper"; readonly pc: number; readonly message: string; readonly helperId: number };

export const isMemoryAccessError = (value: unknown): value is MemoryAccessError =>
  typeof value === "object" && value !== null && "reason" in value && "address" in value;

export function memoryFault(pc: number, error: MemoryAccessError): Fault {
  const where = error.regionLabel ? ` (${error.regionLabel})` : "";
  const message = `pc ${pc}: ${error.access} of ${error.size} byte${error.size === 1 ? "" : "s"} at 0x${error.address.toString(16)}${where}: ${error.detail}`;
  return { kind: "memory", pc, message, ...error };
}
