// One packet's two outcomes, the NIC's and the host interpreter's, put side
// by side: the action (or fault), the bytes the packet left with, and what it
// sent out of band (perf events). Equal outcomes mean the offload kept the
// program's meaning for this packet.
import type { PacketResult } from "../../hw-model/index.ts";
import type { PacketOutcomeView } from "../report/schema.ts";
import type { RunEvent } from "../helpers/runtime.ts";
import type { HostPartReport } from "../offload/for-run.ts";
import type { XdpRunResult } from "../xdp/index.ts";
import { xdpActionName } from "../xdp/index.ts";

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export function actionName(action: number): string {
  return xdpActionName(BigInt(action >>> 0));
}

const eventView = (e: RunEvent): string => (e.kind === "trace-printk" ? `trace-printk: ${e.text}` : `${e.kind} on ${e.map}: ${toHex(e.data)}`);

// `action` is the XDP action the card settled on (the host stage's, for a partly offloaded program);
// `hostPart` what the packet's host part reported (its events follow the NIC's, and its fault is the packet's).
export function nicOutcome(result: PacketResult, action: number, mapNames: readonly string[], hostPart?: HostPartReport): PacketOutcomeView {
  const o = result.outcome;
  const fault = o.kind === "fault" ? `stage ${o.stage}, microcode pc ${o.pc}: ${o.message}` : hostPart?.fault ? `host part, eBPF pc ${hostPart.fault.pc}: ${hostPart.fault.message}` : null;
  return {
    action: fault !== null ? "fault" : actionName(action),
    fault,
    lengthBytes: result.data.length,
    hex: toHex(result.data),
    events: [
      ...result.perfEvents.map((e) => `perf-event on ${mapNames[e.mapIndex] ?? `map #${e.mapIndex}`}: ${toHex(e.bytes)}`),
      ...(hostPart?.events ?? []).map(eventView),
    ],
  };
}

export function hostOutcome(result: XdpRunResult): PacketOutcomeView {
  return {
    action: result.action === undefined ? "fault" : actionName(result.action),
    fault: result.fault === undefined ? null : `eBPF pc ${result.fault.pc}: ${result.fault.message}`,
    lengthBytes: result.packetOut.length,
    hex: toHex(result.packetOut),
    events: result.events.map(eventView),
  };
}

// The common case checked without building the views: same action (or both faulted), same bytes, no events on
// either side, and no host part that faulted or sent events.
export function plainlyIdentical(nic: PacketResult, action: number, host: XdpRunResult, hostPart?: HostPartReport): boolean {
  if (hostPart && (hostPart.fault || hostPart.events.length)) return false;
  const nicFault = nic.outcome.kind === "fault";
  if (nicFault !== (host.action === undefined)) return false;
  if (!nicFault && action >>> 0 !== host.action) return false;
  if (nic.perfEvents.length !== 0 || host.events.length !== 0) return false;
  return sameBytes(nic.data, host.packetOut);
}

// Frames this short are compared faster by a loop than by a call into native code.
const SHORT_FRAME_BYTES = 128;

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length > SHORT_FRAME_BYTES) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// What differs between the two outcomes, one sentence each; empty when they agree.
export function compareOutcomes(nic: PacketOutcomeView, host: PacketOutcomeView): string[] {
  const differences: string[] = [];
  if (nic.action !== host.action) differences.push(`action: NIC ${nic.action}, host ${host.action}`);
  if (nic.hex !== host.hex) {
    differences.push(
      nic.lengthBytes !== host.lengthBytes
        ? `output length: NIC ${nic.lengthBytes} bytes, host ${host.lengthBytes} bytes`
        : `output bytes differ at offset${plural(differingOffsets(nic.hex, host.hex))}`,
    );
  }
  if (nic.events.join("\n") !== host.events.join("\n")) differences.push(`events: NIC sent ${nic.events.length}, host ${host.events.length}, not the same`);
  return differences;
}

function differingOffsets(a: string, b: string): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < a.length; i += 2) if (a.slice(i, i + 2) !== b.slice(i, i + 2)) offsets.push(i / 2);
  return offsets;
}

// " 12" or "s 12, 13, 14" (at most eight listed).
function plural(offsets: number[]): string {
  const shown = offsets.slice(0, 8).join(", ") + (offsets.length > 8 ? `, ... (${offsets.length} in all)` : "");
  return offsets.length === 1 ? ` ${shown}` : `s ${shown}`;
}
