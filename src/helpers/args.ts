// Reading helper arguments the way the kernel's argument types promise them:
// a map handle, a pointer to `n` readable or writable bytes, the context.
// A pointer that does not hold what the prototype says is reported as a
// memory fault or a misuse, never trusted.
import { isMemoryAccessError } from "../interp/fault.ts";
import { Segment } from "../interp/memory.ts";
import type { BpfMap } from "../maps/types.ts";
import { mapHandleAddress } from "./map-handles.ts";
import { helperName } from "./prototypes.ts";
import { memoryError, misuse, type HelperCall, type HelperOutcome, type XdpSession } from "./runtime.ts";

export const isOutcome = (value: unknown): value is HelperOutcome =>
  typeof value === "object" && value !== null && !(value instanceof Uint8Array) && "kind" in value;

// A map handle (map-handles.ts): one of the run's maps, or an inner map a lookup in a map of maps returned.
export function mapArgument(call: HelperCall, argIndex: number): BpfMap | HelperOutcome {
  const address = call.args[argIndex];
  const index = Number(address >> 32n) - Segment.MAPS;
  const map = index >= 0 ? call.machine.mapHandles.at(index) : undefined;
  if (!map || address !== mapHandleAddress(index)) {
    return misuse(`${helperName(call.id)} argument ${argIndex + 1} (0x${address.toString(16)}) is not a map`);
  }
  return map;
}

// A copy of `length` bytes the helper only reads.
export function readBytes(call: HelperCall, address: bigint, length: number): Uint8Array | HelperOutcome {
  const view = call.machine.memory.view(address, length, "read");
  return isMemoryAccessError(view) ? memoryError(view) : view.slice();
}

// A live view of `length` bytes the helper fills.
export function writableBytes(call: HelperCall, address: bigint, length: number): Uint8Array | HelperOutcome {
  const view = call.machine.memory.view(address, length, "write");
  return isMemoryAccessError(view) ? memoryError(view) : view;
}

export function contextArgument(call: HelperCall, argIndex: number): HelperOutcome | undefined {
  const context = call.machine.context;
  if (!context || call.args[argIndex] !== context.base) {
    return misuse(`${helperName(call.id)} argument ${argIndex + 1} must be the context pointer`);
  }
  return undefined;
}

// The XDP state of a helper whose first argument is the context.
export function xdpSession(call: HelperCall): XdpSession | HelperOutcome {
  const notContext = contextArgument(call, 0);
  return notContext ?? xdpSessionOf(call);
}

export function xdpSessionOf(call: HelperCall): XdpSession | HelperOutcome {
  return call.machine.xdp ?? misuse(`${helperName(call.id)} needs an XDP context`);
}

export const u32Key = (value: number): Uint8Array => {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, value >>> 0, true);
  return key;
};
