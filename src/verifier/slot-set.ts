// A set of stack slots per call frame: each frame's 64 slots as two 32-bit
// masks, at index 2 * frame (slots 0-31) and 2 * frame + 1 (slots 32-63).
import { MAX_CALL_FRAMES } from "./env.ts";

export type SlotSet = Int32Array;

export const newSlotSet = (): SlotSet => new Int32Array(2 * MAX_CALL_FRAMES);

export const hasSlot = (set: SlotSet, frame: number, slot: number): boolean => ((set[2 * frame + (slot >> 5)] >>> (slot & 31)) & 1) === 1;

export function addSlot(set: SlotSet, frame: number, slot: number): void {
  set[2 * frame + (slot >> 5)] |= 1 << (slot & 31);
}
