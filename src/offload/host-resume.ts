// Rebuilding the interpreter's state from what a packet carries to the host:
// the NIC's live registers and local memory (hw-model's to_host). Local memory
// says which exit the packet took, where its data started on the NIC and how
// many random numbers the NIC drew (stack-layout.ts); the exit's location map
// says where each live eBPF register and stack byte is. Pointers are translated
// by their distance from their object's base, which pointer arithmetic keeps
// the same on both machines.
import { OFFSET_MASK, localAddress, packetAddress, valueAddress, HANDLE_MASK, HANDLE_SHIFT } from "../../hw-model/exec/address.ts";
import { seededRandom, type RandomSource } from "../helpers/runtime.ts";
import { STACK_BYTES, type RegisterSeed, type ResumePoint } from "../interp/index.ts";
import { SKB_SHARED_INFO_BYTES, TEST_RUN_FRAME_BYTES, XDP_PACKET_HEADROOM, createXdpBuffer, type XdpBuffer } from "../xdp/index.ts";
import type { HostExit, NicImage, RegisterKind, WordLocation } from "./nic-image.ts";
import { HOST_CUT_SLOT, HOST_DATA_SLOT, HOST_RANDOM_SLOT } from "./stack-layout.ts";

// What a to_host hands over (hw-model's PacketOutcome "host" and HostHandoff have these).
export interface Handoff {
  // The packet's data bytes as the NIC left them.
  readonly packet: Uint8Array;
  // a0..a15, b0..b15.
  readonly registers: Int32Array;
  readonly localMemory: Uint8Array;
  readonly localMemoryOffset: number;
  // The carried bytes of the thread's scratch window (stack bytes that did not fit local memory), from scratchOffset.
  readonly scratch?: Uint8Array;
  readonly scratchOffset?: number;
}

// The live map value a NIC handle stands for, when the caller can tell (the functional runner can).
export type ValueResolver = (handle: number) => { readonly mapIndex: number; readonly view: Uint8Array } | undefined;

export interface HostStart {
  readonly exit: HostExit;
  readonly buffer: XdpBuffer;
  readonly resume: ResumePoint;
  readonly random: RandomSource;
}

const M32 = 0xffffffffn;

function lmWord(h: Handoff, offset: number): number {
  const at = offset - h.localMemoryOffset;
  const m = h.localMemory;
  if (at < 0 || at + 4 > m.length) return 0;
  return ((m[at] << 24) | (m[at + 1] << 16) | (m[at + 2] << 8) | m[at + 3]) >>> 0;
}

// A test-run frame with the packet at `data` (createXdpBuffer's layout when that does not fit).
export function hostBuffer(packet: Uint8Array, data: number): XdpBuffer {
  const hardEnd = TEST_RUN_FRAME_BYTES - SKB_SHARED_INFO_BYTES;
  if (data < 0 || data + packet.length > hardEnd) return createXdpBuffer(packet);
  const frame = new Uint8Array(TEST_RUN_FRAME_BYTES);
  frame.set(packet, data);
  return { frame, dataMeta: data, data, dataEnd: data + packet.length, hardEnd };
}

// `random`: a seed, for a caller that restarts bpf_get_prandom_u32's stream per packet (the NIC's draws
// are then skipped, as the packet counted them); or the stream itself, already past the NIC's draws.
export function hostStart(image: NicImage, h: Handoff, random: number | RandomSource, values?: ValueResolver): HostStart {
  const cut = lmWord(h, HOST_CUT_SLOT);
  const exit = image.hostExits[cut];
  if (!exit) throw new Error(`the NIC left for the host through exit ${cut}, which the image does not have`);
  const nicData = lmWord(h, HOST_DATA_SLOT) & OFFSET_MASK;
  // The packet where the NIC's adjust_head calls moved it relative to the headroom, so pointer values match a host-only run.
  const buffer = hostBuffer(h.packet, XDP_PACKET_HEADROOM + (nicData - image.execParams.packetHeadroomBytes));
  const word = (w: WordLocation): bigint => {
    switch (w.kind) {
      case "const":
        return BigInt(w.value >>> 0);
      case "reg":
        return BigInt(h.registers[w.reg] >>> 0);
      case "lm":
        return BigInt(lmWord(h, w.offset));
    }
  };
  const distance = (value: bigint, base: number): bigint => BigInt.asIntN(64, value - BigInt(base >>> 0));
  const translate = (kind: RegisterKind, value: bigint): RegisterSeed => {
    switch (kind.kind) {
      case "scalar":
        return { kind: "scalar", value };
      case "ctx":
        return { kind: "context" };
      case "map":
        return { kind: "map", index: kind.map };
      case "packet":
        return value === 0n ? { kind: "scalar", value: 0n } : { kind: "packet", offset: BigInt(buffer.data) + distance(value, packetAddress(nicData)) };
      case "stack":
        return { kind: "stack", offset: BigInt(STACK_BYTES) + distance(value, localAddress(exit.frameTop)) };
      case "value": {
        if (value === 0n) return { kind: "scalar", value: 0n };
        const handle = Number((value & M32) >> BigInt(HANDLE_SHIFT)) & HANDLE_MASK;
        const v = values?.(handle);
        return v ? { kind: "map-value", index: v.mapIndex, value: v.view, offset: distance(value, valueAddress(handle, 0)) } : { kind: "scalar", value };
      }
    }
  };
  const registers: (RegisterSeed | undefined)[] = [];
  for (const r of exit.registers) registers[r.reg] = translate(r.kind, (word(r.hi) << 32n) | word(r.lo));
  // Live bytes of frame 0 come from the NIC's local memory, or its scratch window for the frame's lowest
  // frameHome.scratchBytes; dead ones are never read and stay 0.
  const stack = new Uint8Array(STACK_BYTES);
  const home = exit.frameHome;
  const scratch = h.scratch ?? new Uint8Array(0);
  for (let i = 0; i < exit.frameBytes; i++) {
    const at = STACK_BYTES - exit.frameBytes + i;
    if (((exit.stackLive >> BigInt(at)) & 1n) === 0n) continue;
    const inScratch = i < home.scratchBytes;
    const bytes = inScratch ? scratch : h.localMemory;
    const from = inScratch ? home.scratchBase + i - (h.scratchOffset ?? 0) : home.lmBase + i - home.scratchBytes - h.localMemoryOffset;
    if (from >= 0 && from < bytes.length) stack[at] = bytes[from];
  }
  const view = new DataView(stack.buffer);
  const stackValues: { offset: number; seed: RegisterSeed }[] = [];
  for (const slot of exit.pointerSlots) {
    const at = STACK_BYTES + slot.offset;
    if (at >= 0 && at + 8 <= STACK_BYTES) stackValues.push({ offset: at, seed: translate(slot.kind, view.getBigUint64(at, true)) });
  }
  return { exit, buffer, resume: { pc: exit.resumePc, registers, stack, stackValues }, random: typeof random === "number" ? pastNicDraws(image, h, random) : random };
}

function pastNicDraws(image: NicImage, h: Handoff, seed: number): RandomSource {
  const random = seededRandom(seed);
  const draws = image.countsRandomDraws ? lmWord(h, HOST_RANDOM_SLOT) : 0;
  for (let i = 0; i < draws; i++) random.nextU32();
  return random;
}
