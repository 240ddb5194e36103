// One side's outcome of one case, in terms every side can give: the action
// (or a fault), the packet as it left, the final contents of every map (as
// src/maps dumps), the events sent out of band, and the redirect target. The
// host interpreter, the NIC model and the kernel are each turned into this.
import { dumpMap, type MapDump, type SimMap } from "../maps/index.ts";
import type { RunEvent, XdpRedirect } from "../helpers/runtime.ts";
import { XdpAction } from "../xdp/index.ts";

export type Side = "host" | "nic" | "kernel";

export const sideName: Readonly<Record<Side, string>> = { host: "host interpreter", nic: "NIC", kernel: "kernel" };

export interface CaseOutcome {
  readonly side: Side;
  // The XDP action (u32), undefined after a fault.
  readonly action: number | undefined;
  readonly fault?: string;
  readonly packet: Uint8Array;
  readonly maps: readonly MapDump[];
  // "perf-event on events: 0a0b...", "ringbuf on rb: ..." in emission order.
  readonly events: readonly string[];
  // Where XDP_REDIRECT sends the packet ("ifindex 7", "map tx_ports key 3"), when the side reports it.
  readonly redirect?: string;
}

export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export function eventText(event: RunEvent): string {
  return event.kind === "trace-printk" ? `trace_printk: ${event.text}` : `${event.kind} on ${event.map}: ${hexOf(event.data)}`;
}

// What runXdp and runNicFunctional both return.
export interface RunShape {
  readonly action: number | undefined;
  readonly packetOut: Uint8Array;
  readonly events: readonly RunEvent[];
  readonly redirect?: XdpRedirect;
}

export function redirectText(r: XdpRedirect | undefined): string | undefined {
  if (r === undefined) return undefined;
  return r.kind === "ifindex" ? `ifindex ${r.ifindex}` : `map ${r.map} key ${r.key}`;
}

// A run's result (the interpreter's or the NIC runner's) with the maps it ran on.
export function outcomeOfRun(side: Side, result: RunShape, fault: string | undefined, maps: readonly SimMap[]): CaseOutcome {
  const redirect = result.action === XdpAction.REDIRECT ? redirectText(result.redirect) : undefined;
  return {
    side,
    action: result.action,
    ...(fault === undefined ? {} : { fault }),
    packet: result.packetOut,
    maps: maps.map(dumpMap),
    events: result.events.map(eventText),
    ...(redirect === undefined ? {} : { redirect }),
  };
}
