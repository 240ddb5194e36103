// Runs an XDP program on one packet the way BPF_PROG_TEST_RUN does: the packet
// (and optional metadata) placed in a fresh frame with 256 bytes of headroom,
// r1 = struct xdp_md, and afterwards the action, the packet as the program
// left it and whatever it sent out of band.
import type { Program } from "../ebpf/instruction.ts";
import type { RunEvent, XdpRedirect } from "../helpers/runtime.ts";
import type { RunEnv, RunOptions, RunResult } from "../interp/env.ts";
import type { Fault } from "../interp/fault.ts";
import { runTier, type Tier } from "../interp/compile.ts";
import type { BpfMap } from "../maps/types.ts";
import { createXdpBuffer, metadataBytes, packetBytes, type XdpBuffer } from "./buffer.ts";
import type { XdpRxQueue } from "./context.ts";
import { xdpActionName } from "./layout.ts";

export interface XdpRunOptions extends RunOptions, Omit<RunEnv, "maps" | "input"> {
  // Metadata in front of the packet (a multiple of 4 bytes, at most 32), as ctx_in.data gives it.
  readonly metadata?: Uint8Array;
  readonly rx?: XdpRxQueue;
  // Which host tier runs the program: the reference interpreter (default) or the compiled tier, with identical results.
  readonly tier?: Tier;
}

export interface XdpRunResult {
  // The program's return value as the kernel takes it (u32), undefined after a fault.
  readonly action: number | undefined;
  // "XDP_PASS", ..., "unknown action 7", or "fault".
  readonly actionName: string;
  // data..data_end and data_meta..data after the run.
  readonly packetOut: Uint8Array;
  readonly metadataOut: Uint8Array;
  // data_meta..data_end: what BPF_PROG_TEST_RUN returns as data_out.
  readonly dataOut: Uint8Array;
  readonly fault?: Fault;
  readonly events: readonly RunEvent[];
  readonly redirect?: XdpRedirect;
  readonly steps: number;
  readonly result: RunResult;
}

export function runXdp(program: Program, packet: Uint8Array, maps: readonly BpfMap[] = [], options: XdpRunOptions = {}): XdpRunResult {
  const { metadata, rx, maxSteps, onStep, tier, ...env } = options;
  const buffer = createXdpBuffer(packet, metadata);
  const result = runTier(
    tier ?? "reference",
    program,
    { ...env, maps, input: { kind: "xdp", buffer, ...(rx ? { rx } : {}) } },
    { ...(maxSteps === undefined ? {} : { maxSteps }), ...(onStep ? { onStep } : {}) },
  );
  return xdpRunResult(buffer, result);
}

// What a run left in its frame, as runXdp reports it; `views`: the byte arrays are views of the frame
// (valid while the frame is not reused) instead of copies.
export function xdpRunResult(buffer: XdpBuffer, result: RunResult, views = false): XdpRunResult {
  const action = result.kind === "exit" ? Number(BigInt.asUintN(32, result.r0)) : undefined;
  const frame = buffer.frame;
  return {
    action,
    actionName: action === undefined ? "fault" : xdpActionName(BigInt(action)),
    packetOut: views ? frameView(frame, buffer.data, buffer.dataEnd) : packetBytes(buffer),
    metadataOut: views ? frameView(frame, buffer.dataMeta, buffer.data) : metadataBytes(buffer),
    dataOut: views ? frameView(frame, buffer.dataMeta, buffer.dataEnd) : frame.slice(buffer.dataMeta, buffer.dataEnd),
    ...(result.kind === "fault" ? { fault: result.fault } : {}),
    events: result.events,
    ...(result.redirect ? { redirect: result.redirect } : {}),
    steps: result.steps,
    result,
  };
}

// The view subarray() makes, built directly (subarray's species lookup is slow in V8).
const frameView = (frame: Uint8Array, start: number, end: number): Uint8Array => new Uint8Array(frame.buffer, frame.byteOffset + start, end - start);
