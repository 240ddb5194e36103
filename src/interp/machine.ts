// The state of one run: the address space with its regions, the call frames
// and everything the helpers may touch. Built once per run from a RunEnv.
import { FRAME_POINTER, REG_COUNT } from "../ebpf/opcode.ts";
import type { Program } from "../ebpf/instruction.ts";
import { helperImplementations, type HelperTable } from "../helpers/implementations.ts";
import { DEFAULT_CLOCK, seededRandom, type CallbackLoop, type HelperMachine, type XdpSession } from "../helpers/runtime.ts";
import { LOOPBACK_RX_QUEUE, xdpContextFields } from "../xdp/context.ts";
import type { ExternName, RegisterSeed, ResumePoint, RunEnv } from "./env.ts";
import type { BpfMap } from "../maps/types.ts";
import { MapHandles, mapHandleAddress, mapHandleSpec } from "../helpers/map-handles.ts";
import { readOnlyForPrograms } from "../helpers/map-helpers.ts";
import { AddressSpace, Segment, type Region } from "./memory.ts";

// kernel/bpf/core.c MAX_BPF_STACK and include/linux/bpf_verifier.h MAX_CALL_FRAMES.
export const STACK_BYTES = 512;
export const MAX_CALL_FRAMES = 8;

export interface Frame {
  program: Program;
  readonly regs: bigint[];
  readonly stack: Region;
  // Where the caller continues when this frame exits.
  readonly returnPc: number;
  // Set on the frame of a helper's callback (bpf_loop...): its exit goes back to the helper, called at helperPc.
  readonly callbacks?: { readonly loop: CallbackLoop; readonly helperPc: number };
}

export interface Machine extends HelperMachine {
  readonly frames: Frame[];
  readonly helpers: HelperTable;
  // The program the run started with, and the kernel symbols it names by pc.
  readonly main: Program;
  readonly externs: readonly ExternName[];
  steps: number;
}

export function newStack(memory: AddressSpace, depth: number): Region {
  return memory.mapAt(Segment.STACK + depth, {
    kind: "stack",
    label: depth === 0 ? "stack" : `stack of call frame ${depth}`,
    bytes: new Uint8Array(STACK_BYTES),
    writable: true,
  });
}

// A register file for a frame: r10 points one past the top of its stack.
export function newRegisters(stack: Region): bigint[] {
  const regs = new Array<bigint>(REG_COUNT).fill(0n);
  regs[FRAME_POINTER] = stack.base + BigInt(STACK_BYTES);
  return regs;
}

// `memory` lets a caller supply its own (empty) address space, e.g. one that indexes its regions (compile-memory.ts).
export function createMachine(program: Program, env: RunEnv, memory: AddressSpace = new AddressSpace()): Machine {
  const maps = env.maps ?? [];
  // Map handles (what an ld_imm64 map reference yields) are regions without bytes: any access faults.
  maps.forEach((map, index) => memory.mapAt(Segment.MAPS + index, mapHandleSpec(map)));
  const stack = newStack(memory, 0);
  const regs = newRegisters(stack);
  let context: Region | undefined;
  let xdp: XdpSession | undefined;
  const input = env.input ?? { kind: "none" };
  switch (input.kind) {
    case "none":
      break;
    case "memory": {
      const region = memory.mapAt(Segment.INPUT, { kind: "input", label: "input memory", bytes: input.bytes, writable: true });
      regs[1] = region.base;
      regs[2] = BigInt(input.bytes.length);
      break;
    }
    case "xdp": {
      const buffer = input.buffer;
      const packetRegion = memory.mapAt(Segment.PACKET, {
        kind: "packet",
        label: "packet (data_meta..data_end)",
        bytes: buffer.frame,
        writable: true,
        window: () => ({ start: buffer.dataMeta, end: buffer.dataEnd }),
      });
      const rx = input.rx ?? LOOPBACK_RX_QUEUE;
      context = memory.mapAt(Segment.CONTEXT, {
        kind: "context",
        label: "xdp_md context",
        bytes: new Uint8Array(0),
        writable: false,
        context: xdpContextFields(buffer, packetRegion.base, rx),
      });
      xdp = { buffer, packetRegion, rx, redirect: undefined };
      regs[1] = context.base;
      break;
    }
  }
  if (env.resume) seedRegisters(env.resume, regs, stack, memory, maps, context, xdp);
  return {
    memory,
    maps,
    mapHandles: new MapHandles(maps, memory),
    cpu: env.cpu ?? 0,
    ...(env.currentPidTgid === undefined ? {} : { currentPidTgid: env.currentPidTgid }),
    clock: env.clock ?? DEFAULT_CLOCK,
    random: env.random ?? seededRandom(1),
    programs: env.programs ?? new Map(),
    routes: env.routes,
    context,
    xdp,
    events: [],
    reserved: new Map(),
    steps: 0,
    tailCalls: 0,
    frames: [{ program, regs, stack, returnPc: -1 }],
    main: program,
    externs: env.externs ?? [],
    helpers: env.helpers ?? helperImplementations,
  };
}

// The state a resumed run starts from (RunEnv.resume): seeds turned into this run's addresses.
function seedRegisters(resume: ResumePoint, regs: bigint[], stack: Region, memory: AddressSpace, maps: readonly BpfMap[], context: Region | undefined, xdp: XdpSession | undefined): void {
  const valueOf = (seed: RegisterSeed): bigint => {
    switch (seed.kind) {
      case "scalar":
        return BigInt.asUintN(64, seed.value);
      case "context":
        return context?.base ?? 0n;
      case "packet":
        return xdp ? BigInt.asUintN(64, xdp.packetRegion.base + BigInt(seed.offset)) : 0n;
      case "stack":
        return BigInt.asUintN(64, stack.base + BigInt(seed.offset));
      case "map":
        return mapHandleAddress(seed.index);
      case "map-value": {
        const map = maps[seed.index];
        const label = `value in map '${map?.def.name ?? seed.index}'`;
        const writable = map ? !readOnlyForPrograms(map) : false;
        return BigInt.asUintN(64, memory.regionForView(seed.value, "map-value", label, writable).base + BigInt(seed.offset));
      }
    }
  };
  const bytes = resume.stack.subarray(Math.max(0, resume.stack.length - STACK_BYTES));
  stack.bytes.set(bytes, STACK_BYTES - bytes.length);
  const view = new DataView(stack.bytes.buffer, stack.bytes.byteOffset, stack.bytes.byteLength);
  for (const { offset, seed } of resume.stackValues ?? []) {
    if (offset >= 0 && offset + 8 <= STACK_BYTES) view.setBigUint64(offset, valueOf(seed), true);
  }
  resume.registers.forEach((seed, r) => {
    if (seed && r < FRAME_POINTER) regs[r] = valueOf(seed);
  });
}
