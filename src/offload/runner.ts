// The functional runner of a NIC image: one packet through the stages on the
// hw-model's executor, and when the packet leaves for the host, the rest of
// the program in the host interpreter, resumed at the exit's pc with the
// registers and stack rebuilt from the NIC's state. Its result has the shape
// of runXdp's, so a test can compare the two field by field.
import { Executor, type PacketResult } from "../../hw-model/exec/executor.ts";
import { HANDLE_MASK, HANDLE_SHIFT, VALUE_OFFSET_MASK, localAddress, packetAddress, valueAddress } from "../../hw-model/exec/address.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";
import type { Program } from "../ebpf/index.ts";
import type { RouteTable } from "../helpers/fib.ts";
import { seededRandom, type RandomSource, type RunEvent, type SimClock, type XdpRedirect } from "../helpers/runtime.ts";
import { run, STACK_BYTES, type RegisterSeed, type RunResult } from "../interp/index.ts";
import type { BpfMap } from "../maps/types.ts";
import { createXdpBuffer, packetBytes, LOOPBACK_RX_QUEUE, SKB_SHARED_INFO_BYTES, TEST_RUN_FRAME_BYTES, XDP_PACKET_HEADROOM, xdpActionName, type XdpBuffer, type XdpRxQueue } from "../xdp/index.ts";
import type { HostExit, NicImage, RegisterKind, WordLocation } from "./nic-image.ts";

export interface NicRunOptions {
  // The receive queue; default the interpreter's (loopback, queue 0).
  readonly rx?: XdpRxQueue;
  // Seed of bpf_get_prandom_u32 on both sides; default the interpreter's (1).
  readonly randomSeed?: number;
  // For the host part: tail-call targets, the clock, routes for bpf_fib_lookup, the step budget.
  readonly programs?: ReadonlyMap<number, Program>;
  readonly clock?: SimClock;
  readonly routes?: RouteTable;
  readonly maxSteps?: number;
}

export type NicFault = { readonly where: "nic"; readonly stage: number; readonly pc: number; readonly message: string } | { readonly where: "host"; readonly pc: number; readonly message: string };

export interface NicRunResult {
  // The XDP action (u32), undefined after a fault.
  readonly action: number | undefined;
  readonly actionName: string;
  readonly packetOut: Uint8Array;
  readonly fault?: NicFault;
  readonly events: readonly RunEvent[];
  readonly redirect?: XdpRedirect;
  // Stages the packet ran on the NIC, and the host exit it took (if any).
  readonly stagePath: readonly number[];
  readonly hostExit?: number;
  // The NIC's own result (work trace material for the timing model).
  readonly nic: PacketResult;
  readonly host?: RunResult;
}

// The executor, watching the map values it hands out and drawing bpf_get_prandom_u32's numbers
// from the interpreter's generator, restarted for every packet as the interpreter restarts it.
class RecordingExecutor extends Executor {
  readonly values: { mapIndex: number; view: Uint8Array }[] = [];
  randomDraws = 0;
  private random: RandomSource = seededRandom(1);
  restart(seed: number): void {
    this.values.length = 0;
    this.randomDraws = 0;
    this.random = seededRandom(seed);
  }
  override valueHandle(mapIndex: number, view: Uint8Array): number {
    const address = super.valueHandle(mapIndex, view);
    this.values[(address >>> HANDLE_SHIFT) & HANDLE_MASK] = { mapIndex, view };
    return address;
  }
  override nextRandom(): number {
    this.randomDraws++;
    return this.random.nextU32() | 0;
  }
}

const M32 = 0xffffffffn;
void VALUE_OFFSET_MASK;

export class NicRunner {
  private readonly runtimes: MapRuntime[];
  private readonly exec: RecordingExecutor;

  constructor(
    readonly image: NicImage,
    readonly maps: readonly BpfMap[],
    readonly options: NicRunOptions = {},
  ) {
    const fw = image.execParams.firmware;
    // Only the maps the image placed get the firmware's runtime (the NIC reaches no other).
    this.runtimes = [];
    for (const p of image.maps) if (maps[p.map]) this.runtimes[p.map] = new MapRuntime(maps[p.map], p.target, fw.hashEntriesPerBucket, fw.hashEntryBytes, fw.arraysUseHashTable);
    this.exec = new RecordingExecutor({ stages: image.stages.map((s) => s.program), maps: this.runtimes, pcieTarget: image.pcieTarget }, image.execParams, options.randomSeed ?? 1);
  }

  run(packet: Uint8Array): NicRunResult {
    const rx = this.options.rx ?? LOOPBACK_RX_QUEUE;
    const seed = this.options.randomSeed ?? 1;
    const exec = this.exec;
    exec.restart(seed);
    const nic = exec.runPacket({ data: packet, ingressIfindex: rx.ingressIfindex, rxQueueIndex: rx.rxQueueIndex });
    const nicEvents: RunEvent[] = nic.perfEvents.map((e) => ({ kind: "perf-event", pc: -1, map: this.maps[e.mapIndex]?.def.name ?? `#${e.mapIndex}`, cpu: 0, data: e.bytes }));
    const o = nic.outcome;
    if (o.kind === "verdict") {
      const action = o.action >>> 0;
      return { action, actionName: xdpActionName(BigInt(action)), packetOut: nic.data, events: nicEvents, stagePath: nic.stagePath, nic };
    }
    if (o.kind === "fault") {
      return { action: undefined, actionName: "fault", packetOut: nic.data, fault: { where: "nic", stage: o.stage, pc: o.pc, message: o.message }, events: nicEvents, stagePath: nic.stagePath, nic };
    }
    const cut = (o.localMemory[0] << 24) | (o.localMemory[1] << 16) | (o.localMemory[2] << 8) | o.localMemory[3];
    const exit = this.image.hostExits[cut >>> 0];
    if (!exit) throw new Error(`the NIC left for the host through exit ${cut}, which the image does not have`);
    // The host's frame as BPF_PROG_TEST_RUN would hold it by now: the packet where the NIC's
    // adjust_head calls moved it relative to the headroom (so pointer values match a host-only run).
    const dataStart = exec.packet.dataStart;
    const buffer = hostBuffer(nic.data, XDP_PACKET_HEADROOM + (dataStart - this.image.execParams.packetHeadroomBytes));
    const hostData = buffer.data;
    const word = (w: WordLocation): bigint => {
      switch (w.kind) {
        case "const":
          return BigInt(w.value >>> 0);
        case "reg":
          return BigInt(o.registers[w.reg] >>> 0);
        case "lm": {
          const at = w.offset - o.localMemoryOffset;
          const m = o.localMemory;
          return BigInt((((m[at] << 24) | (m[at + 1] << 16) | (m[at + 2] << 8) | m[at + 3]) >>> 0));
        }
      }
    };
    // Pointer arithmetic is linear, so a pointer's distance from its object's base is the same on
    // both machines: translate by that 64-bit distance (it may even leave the object).
    const distance = (value: bigint, base: number): bigint => BigInt.asIntN(64, value - BigInt(base >>> 0));
    const translate = (kind: RegisterKind, value: bigint): RegisterSeed => {
      const lo = Number(value & M32);
      switch (kind.kind) {
        case "scalar":
          return { kind: "scalar", value };
        case "ctx":
          return { kind: "context" };
        case "map":
          return { kind: "map", index: kind.map };
        case "packet":
          return value === 0n ? { kind: "scalar", value: 0n } : { kind: "packet", offset: BigInt(hostData) + distance(value, packetAddress(dataStart)) };
        case "stack":
          return { kind: "stack", offset: BigInt(STACK_BYTES) + distance(value, localAddress(exit.frameTop)) };
        case "value": {
          if (lo === 0) return { kind: "scalar", value: 0n };
          const h = (lo >>> HANDLE_SHIFT) & HANDLE_MASK;
          const handle = exec.values[h];
          return handle ? { kind: "map-value", index: handle.mapIndex, value: handle.view, offset: distance(value, valueAddress(h, 0)) } : { kind: "scalar", value };
        }
      }
    };
    const registers: (RegisterSeed | undefined)[] = [];
    for (const r of exit.registers) registers[r.reg] = translate(r.kind, (word(r.hi) << 32n) | word(r.lo));
    const { stack, stackValues } = hostStack(exit, o.localMemory, o.localMemoryOffset, translate);
    const random = advanced(seed, exec.randomDraws);
    const host = run(
      this.image.source.insns,
      {
        maps: this.maps,
        input: { kind: "xdp", buffer, rx },
        random,
        resume: { pc: exit.resumePc, registers, stack, stackValues },
        ...(this.options.programs ? { programs: this.options.programs } : {}),
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        ...(this.options.routes ? { routes: this.options.routes } : {}),
      },
      this.options.maxSteps === undefined ? {} : { maxSteps: this.options.maxSteps },
    );
    for (const rt of this.runtimes) if (rt?.hashed) rt.syncLayout();
    const action = host.kind === "exit" ? Number(BigInt.asUintN(32, host.r0)) : undefined;
    return {
      action,
      actionName: action === undefined ? "fault" : xdpActionName(BigInt(action)),
      packetOut: packetBytes(buffer),
      ...(host.kind === "fault" ? { fault: { where: "host" as const, pc: host.pc, message: host.message } } : {}),
      events: [...nicEvents, ...host.events],
      ...(host.redirect ? { redirect: host.redirect } : {}),
      stagePath: nic.stagePath,
      hostExit: exit.id,
      nic,
      host,
    };
  }
}

// Frame 0's stack for the host: the NIC's frame bytes, and the spilled pointers to place in it.
function hostStack(exit: HostExit, lm: Uint8Array, lmOffset: number, translate: (k: RegisterKind, v: bigint) => RegisterSeed): { stack: Uint8Array; stackValues: { offset: number; seed: RegisterSeed }[] } {
  // Live bytes come from the NIC's frame; dead ones are never read, and stay 0.
  const stack = new Uint8Array(STACK_BYTES);
  const frameStart = exit.frameTop - exit.frameBytes - lmOffset;
  for (let i = 0; i < exit.frameBytes; i++) {
    const at = STACK_BYTES - exit.frameBytes + i;
    if (((exit.stackLive >> BigInt(at)) & 1n) !== 0n && frameStart + i >= 0 && frameStart + i < lm.length) stack[at] = lm[frameStart + i];
  }
  const view = new DataView(stack.buffer);
  const stackValues: { offset: number; seed: RegisterSeed }[] = [];
  for (const slot of exit.pointerSlots) {
    const at = STACK_BYTES + slot.offset;
    if (at < 0 || at + 8 > STACK_BYTES) continue;
    stackValues.push({ offset: at, seed: translate(slot.kind, view.getBigUint64(at, true)) });
  }
  return { stack, stackValues };
}

// A test-run frame with the packet at `data` (createXdpBuffer's layout otherwise).
function hostBuffer(packet: Uint8Array, data: number): XdpBuffer {
  const frame = new Uint8Array(TEST_RUN_FRAME_BYTES);
  const start = Math.max(0, Math.min(data, TEST_RUN_FRAME_BYTES - SKB_SHARED_INFO_BYTES - packet.length));
  if (start !== data) return createXdpBuffer(packet);
  frame.set(packet, start);
  return { frame, dataMeta: start, data: start, dataEnd: start + packet.length, hardEnd: TEST_RUN_FRAME_BYTES - SKB_SHARED_INFO_BYTES };
}

function advanced(seed: number, draws: number): RandomSource {
  const r = seededRandom(seed);
  for (let i = 0; i < draws; i++) r.nextU32();
  return r;
}

export function runNicFunctional(image: NicImage, packet: Uint8Array, maps: readonly BpfMap[], options: NicRunOptions = {}): NicRunResult {
  return new NicRunner(image, maps, options).run(packet);
}
