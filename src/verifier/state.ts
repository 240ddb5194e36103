// The abstract machine state on one path: a stack of call frames, each with
// eleven registers and 512 bytes of stack whose every byte is tracked as the
// kernel tracks it (include/linux/bpf_verifier.h: STACK_INVALID, STACK_SPILL,
// STACK_MISC, STACK_ZERO), plus the references (ringbuf records) the path
// holds. Byte index b stands for the stack address fp-(b+1), so bytes 8k..8k+7
// form the kernel's slot k (fp-8(k+1) .. fp-8k-1) and a register spilled into a
// slot is kept once per slot, as the kernel keeps spilled_ptr.
import { FRAME_POINTER, REG_COUNT } from "../ebpf/opcode.ts";
import { NOT_INIT, ptrReg } from "./reg-state.ts";
import type { PtrReg, RegState } from "./reg-state.ts";
import { regText } from "./kernel-text.ts";
import type { HeldLock } from "./spin-lock.ts";

// kernel/bpf/core.c MAX_BPF_STACK; include/linux/bpf.h BPF_REG_SIZE.
export const STACK_BYTES = 512;
export const SLOT_BYTES = 8;
export const STACK_SLOTS = STACK_BYTES / SLOT_BYTES;

export const StackByte = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3 } as const;
export type StackByteKind = (typeof StackByte)[keyof typeof StackByte];
export const stackByteChar = ["?", "r", "m", "0"] as const;

export interface Frame {
  readonly frameNo: number;
  // The call instruction that created this frame (-1 for the main program).
  readonly callsite: number;
  // Index of the function (FunctionInfo) this frame runs.
  readonly funcIndex: number;
  regs: RegState[];
  stack: Uint8Array;
  spills: (RegState | undefined)[];
  // Deepest stack byte touched, in bytes (the kernel's allocated_stack).
  stackDepthBytes: number;
  // A callback frame (bpf_loop): its exit goes back to the helper call, which may call it again.
  inCallback?: boolean;
  // How many calls of the callback this frame's bpf_loop has had explored on this path (the kernel's
  // bpf_func_state.callback_depth): no further call once it reaches the loop count's maximum.
  callbackDepth: number;
  // `stack` and `spills` may be shared with a clone of this frame (copy-on-write): every write to them goes
  // through ownStack first.
  stackShared?: boolean;
}

export interface Reference {
  readonly id: number;
  readonly insn: number;
}

export interface VState {
  frames: Frame[];
  refs: Reference[];
  // Callback calls scheduled on the way to this state (bpf_verifier_state.callback_unroll_depth): two states of
  // different calls of a callback are never one loop that cannot end.
  callbackUnrollDepth: number;
  // The bpf_spin_lock this path holds (spin-lock.ts).
  lock: HeldLock | undefined;
}

export function newFrame(frameNo: number, callsite: number, funcIndex: number): Frame {
  const regs: RegState[] = new Array<RegState>(REG_COUNT).fill(NOT_INIT);
  regs[FRAME_POINTER] = ptrReg("stack", { frameNo });
  return {
    frameNo,
    callsite,
    funcIndex,
    regs,
    stack: new Uint8Array(STACK_BYTES),
    spills: new Array<RegState | undefined>(STACK_SLOTS).fill(undefined),
    stackDepthBytes: 0,
    inCallback: false,
    callbackDepth: 0,
    stackShared: false,
  };
}

// The clone shares the stack bytes and spills until one of the two frames writes them (ownStack).
// Every field written out in newFrame's order (the compiler checks none is missing), so that frames have one shape.
export function cloneFrame(f: Frame): Frame {
  f.stackShared = true;
  const clone = {
    frameNo: f.frameNo,
    callsite: f.callsite,
    funcIndex: f.funcIndex,
    regs: f.regs.slice(),
    stack: f.stack,
    spills: f.spills,
    stackDepthBytes: f.stackDepthBytes,
    inCallback: f.inCallback === true,
    callbackDepth: f.callbackDepth,
    stackShared: true,
  } satisfies Required<Frame>;
  return clone;
}

// Before writing `f.stack` or `f.spills`: a frame that may share them gets its own copies.
export function ownStack(f: Frame): void {
  if (!f.stackShared) return;
  f.stack = f.stack.slice();
  f.spills = f.spills.slice();
  f.stackShared = false;
}

export const cloneState = (s: VState): VState => ({ frames: s.frames.map(cloneFrame), refs: s.refs.slice(), callbackUnrollDepth: s.callbackUnrollDepth, lock: s.lock });

export const emptyState = (entry: Frame): VState => ({ frames: [entry], refs: [], callbackUnrollDepth: 0, lock: undefined });

export const curFrame = (s: VState): Frame => s.frames[s.frames.length - 1];

// Every register and spilled register of every frame, with a way to replace it.
export function forEachReg(s: VState, visit: (r: RegState, set: (next: RegState) => void) => void): void {
  for (const f of s.frames) {
    for (let i = 0; i < f.regs.length; i++) visit(f.regs[i], (next) => (f.regs[i] = next));
    for (let k = 0; k < f.spills.length; k++) {
      const spilled = f.spills[k];
      if (spilled !== undefined) {
        visit(spilled, (next) => {
          ownStack(f);
          f.spills[k] = next;
        });
      }
    }
  }
}

// Stack byte index of the address fp+off (off negative).
export const byteIndex = (off: number): number => -off - 1;

// The register spilled into the slot holding address fp+off, when that slot's top byte is a spill.
export function spilledAt(f: Frame, slot: number): RegState | undefined {
  return f.stack[slot * SLOT_BYTES + SLOT_BYTES - 1] === StackByte.SPILL ? f.spills[slot] : undefined;
}

// print_verifier_state: registers that are set, then stack slots with any valid byte.
export function stateText(s: VState, frameIndex = s.frames.length - 1): string {
  return stateParts(s, frameIndex).join(" ");
}

// The parts of print_verifier_state, optionally only the given registers and slots.
export function stateParts(s: VState, frameIndex = s.frames.length - 1, only?: { regs?: ReadonlySet<number>; slots?: ReadonlySet<number> }): string[] {
  const f = s.frames[frameIndex];
  const parts: string[] = [];
  if (f.frameNo) parts.push(`frame${f.frameNo}:`);
  f.regs.forEach((r, i) => {
    if (r.kind === "not_init") return;
    if (only && !only.regs?.has(i)) return;
    parts.push(`R${i}=${regText(r, f.frameNo)}`);
  });
  for (let slot = 0; slot < STACK_SLOTS; slot++) {
    if (only && !only.slots?.has(slot)) continue;
    const bytes = Array.from(f.stack.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + SLOT_BYTES));
    if (bytes.every((b) => b === StackByte.INVALID)) continue;
    const label = `fp${-(slot + 1) * SLOT_BYTES}`;
    const chars = bytes.map((b) => stackByteChar[b]);
    const spilled = spilledAt(f, slot);
    if (spilled !== undefined) {
      const firstSpill = bytes.indexOf(StackByte.SPILL);
      parts.push(`${label}=${chars.slice(0, firstSpill).join("")}${regText(spilled, f.frameNo)}`);
    } else {
      parts.push(`${label}=${chars.join("")}`);
    }
  }
  if (s.refs.length > 0 && !only) parts.push(`refs=${s.refs.map((r) => r.id).join(",")}`);
  return parts;
}

export const isStackPtr = (r: RegState): r is PtrReg => r.kind === "ptr" && r.type === "stack";
