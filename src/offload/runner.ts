// The functional runner of a NIC image: one packet through the stages on the
// hw-model's executor, and when the packet leaves for the host, the rest of
// the program in the host interpreter, resumed at the exit's pc with the
// registers and stack rebuilt from the NIC's state. Its result has the shape
// of runXdp's, so a test can compare the two field by field.
import { Executor, type InstructionHook, type PacketResult } from "../../hw-model/exec/executor.ts";
import { HANDLE_MASK, HANDLE_SHIFT } from "../../hw-model/exec/address.ts";
import { MapRuntime } from "../../hw-model/firmware/map-runtime.ts";
import type { Program } from "../ebpf/index.ts";
import type { RouteTable } from "../helpers/fib.ts";
import { seededRandom, type RandomSource, type RunEvent, type SimClock, type XdpRedirect } from "../helpers/runtime.ts";
import { run, type RunResult } from "../interp/index.ts";
import type { BpfMap } from "../maps/types.ts";
import { packetBytes, LOOPBACK_RX_QUEUE, xdpActionName, type XdpRxQueue } from "../xdp/index.ts";
import { hostStart } from "./host-resume.ts";
import type { NicImage } from "./nic-image.ts";

export interface NicRunOptions {
  // The receive queue; default the interpreter's (loopback, queue 0).
  readonly rx?: XdpRxQueue;
  // Seed of bpf_get_prandom_u32 on both sides; default the interpreter's (1).
  readonly randomSeed?: number;
  // For the host part: tail-call targets, the clock, routes for bpf_fib_lookup, the step budget.
  readonly programs?: ReadonlyMap<number, Program>;
  readonly clock?: SimClock;
  readonly routes?: RouteTable;
  // What bpf_get_current_pid_tgid answers on the host (default 0: no task).
  readonly currentPidTgid?: bigint;
  readonly maxSteps?: number;
  // Keep a copy of each packet's work trace (for a timing replay).
  readonly keepTrace?: boolean;
  // Called before each microcode instruction (the NIC then runs on its interpreter; for lock-step traces).
  readonly instructionHook?: InstructionHook;
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
  // The NIC's own result, and its work trace when keepTrace was asked (hw-model/exec/trace.ts records).
  readonly nic: PacketResult;
  readonly trace?: Int32Array;
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
    this.exec = new RecordingExecutor({ stages: image.stages.map((s) => s.program), maps: this.runtimes, pcieTarget: image.pcieTarget }, image.execParams, options.randomSeed ?? 1, options.instructionHook ? { instructionHook: options.instructionHook } : {});
  }

  run(packet: Uint8Array): NicRunResult {
    const rx = this.options.rx ?? LOOPBACK_RX_QUEUE;
    const seed = this.options.randomSeed ?? 1;
    const exec = this.exec;
    exec.restart(seed);
    const nic = exec.runPacket({ data: packet, ingressIfindex: rx.ingressIfindex, rxQueueIndex: rx.rxQueueIndex });
    const trace = this.options.keepTrace ? { trace: exec.trace.snapshot() } : {};
    const nicEvents: RunEvent[] = nic.perfEvents.map((e) => ({ kind: "perf-event", pc: -1, map: this.maps[e.mapIndex]?.def.name ?? `#${e.mapIndex}`, cpu: 0, data: e.bytes }));
    const o = nic.outcome;
    if (o.kind === "verdict") {
      const action = o.action >>> 0;
      return { action, actionName: xdpActionName(BigInt(action)), packetOut: nic.data, events: nicEvents, stagePath: nic.stagePath, nic, ...trace };
    }
    if (o.kind === "fault") {
      return { action: undefined, actionName: "fault", packetOut: nic.data, fault: { where: "nic", stage: o.stage, pc: o.pc, message: o.message }, events: nicEvents, stagePath: nic.stagePath, nic, ...trace };
    }
    const start = hostStart(this.image, { packet: nic.data, registers: o.registers, localMemory: o.localMemory, localMemoryOffset: o.localMemoryOffset, scratch: o.scratch, scratchOffset: o.scratchOffset }, seed, (h) => exec.values[h]);
    const { exit, buffer, resume, random } = start;
    const host = run(
      this.image.source.insns,
      {
        maps: this.maps,
        input: { kind: "xdp", buffer, rx },
        random,
        resume,
        ...(this.options.programs ? { programs: this.options.programs } : {}),
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        ...(this.options.routes ? { routes: this.options.routes } : {}),
        ...(this.options.currentPidTgid === undefined ? {} : { currentPidTgid: this.options.currentPidTgid }),
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
      ...trace,
      host,
    };
  }
}

export function runNicFunctional(image: NicImage, packet: Uint8Array, maps: readonly BpfMap[], options: NicRunOptions = {}): NicRunResult {
  return new NicRunner(image, maps, options).run(packet);
}
