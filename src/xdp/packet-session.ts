// Packet after packet through one program on one frame and one compiled
// session, each run giving what runXdp (tier "compiled") gives for that packet
// on a fresh frame: the frame is zeroed and refilled, its offsets go back to
// the start, and the session rewinds registers, stack, events, redirect and
// step count (CompiledSession). Maps and the random source carry over, as they
// do between runXdp calls handed the same ones. One difference from fresh
// runs: a map value keeps the address it was first given (a fresh machine
// numbers them from the start again), which only a program that leaks a
// pointer into its output could show.
import type { Program } from "../ebpf/instruction.ts";
import { CompiledSession } from "../interp/compile.ts";
import type { IndexedAddressSpace } from "../interp/compile-memory.ts";
import type { BpfMap } from "../maps/types.ts";
import { createXdpBuffer, refillXdpBuffer, type XdpBuffer } from "./buffer.ts";
import { runXdp, xdpRunResult, type XdpRunOptions, type XdpRunResult } from "./run-xdp.ts";

export type XdpSessionOptions = Omit<XdpRunOptions, "metadata" | "onStep" | "tier">;

// runCompiled hands a program whose instruction fields are not all integers to the reference interpreter.
const compilable = (program: Program): boolean =>
  program.every((slot) => Number.isInteger(slot.opcode) && Number.isInteger(slot.dst) && Number.isInteger(slot.src) && Number.isInteger(slot.off) && Number.isInteger(slot.imm));

export class XdpPacketSession {
  private readonly buffer: XdpBuffer;
  private readonly session: CompiledSession | undefined;

  constructor(
    private readonly program: Program,
    private readonly maps: readonly BpfMap[],
    private readonly options: XdpSessionOptions = {},
  ) {
    this.buffer = createXdpBuffer(new Uint8Array(0));
    if (!compilable(program)) {
      this.session = undefined;
      return;
    }
    const { rx, maxSteps, ...env } = options;
    this.session = new CompiledSession(
      program,
      { ...env, maps, input: { kind: "xdp", buffer: this.buffer, ...(rx ? { rx } : {}) } },
      maxSteps === undefined ? {} : { maxSteps },
    );
  }

  // The result's packetOut, metadataOut and dataOut are views of the session's frame: read or copy them before the next run.
  run(packet: Uint8Array, metadata?: Uint8Array): XdpRunResult {
    const session = this.session;
    if (session === undefined) return runXdp(this.program, packet, this.maps, { ...this.options, ...(metadata ? { metadata } : {}), tier: "compiled" });
    refillXdpBuffer(this.buffer, packet, metadata);
    session.packetReplaced();
    return xdpRunResult(this.buffer, session.run(), true);
  }

  // Regions the runs have given addresses to so far (map values, ring-buffer records): the memory the session holds grows with them.
  get allocatedRegions(): number {
    return this.session === undefined ? 0 : (this.session.machine.memory as IndexedAddressSpace).allocations;
  }
}
