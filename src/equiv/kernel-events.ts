// The kernel's events as the suite compares them. Perf samples come back
// padded (the kernel reports round_up(bytes + 4, 8) - 4 raw bytes, the tail
// being whatever was in the ring), so a sample whose padded length matches the
// host's event of the same position is cut to the host's length; any other
// length is kept whole and shows as a difference. Order is compared within
// each stream (one map's perf events, one ring buffer): the kernel keeps
// order per ring, not across them. trace_printk output is not read back from
// the kernel (its trace pipe is shared by the whole machine), so it is left
// out of the kernel comparison.
import { paddedRawBytes, type PerfRecord } from "../kernel/index.ts";
import { hexOf } from "./outcome.ts";

export interface KernelStreams {
  readonly perf: readonly { readonly map: string; readonly records: readonly PerfRecord[] }[];
  readonly ringbufs: readonly { readonly map: string; readonly records: readonly Uint8Array[] }[];
}

// "perf-event on events: 0a0b" -> stream "perf-event on events", payload "0a0b".
function split(event: string): { readonly stream: string; readonly payload: string } {
  const at = event.indexOf(": ");
  return at < 0 ? { stream: event, payload: "" } : { stream: event.slice(0, at), payload: event.slice(at + 2) };
}

// The kernel's events as text, each perf sample cut to the length of the host's event at its position.
export function kernelEventTexts(streams: KernelStreams, hostEvents: readonly string[]): string[] {
  const out: string[] = [];
  for (const { map, records } of streams.perf) {
    const stream = `perf-event on ${map}`;
    const host = hostEvents.map(split).filter((e) => e.stream === stream);
    records.forEach((r, i) => {
      if (r.kind === "lost") {
        out.push(`${stream}: lost ${r.count} on cpu ${r.cpu}`);
        return;
      }
      const hostBytes = (host[i]?.payload.length ?? -2) / 2;
      const data = hostBytes >= 0 && r.data.length === paddedRawBytes(hostBytes) ? r.data.subarray(0, hostBytes) : r.data;
      out.push(`${stream}: ${hexOf(data)}`);
    });
  }
  for (const { map, records } of streams.ringbufs) for (const r of records) out.push(`ringbuf on ${map}: ${hexOf(r)}`);
  return out;
}

// Events as the kernel comparison sees them: trace_printk left out, grouped by stream (streams by name, each in its own order).
export function kernelComparable(events: readonly string[]): string[] {
  const kept = events.filter((e) => !e.startsWith("trace_printk"));
  const streams = [...new Set(kept.map((e) => split(e).stream))].sort();
  return streams.flatMap((s) => kept.filter((e) => split(e).stream === s));
}
