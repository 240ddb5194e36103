// Two outcomes of the same case side by side: every way they differ, one
// readable line each (the action, the output packet's length or bytes, each
// map entry, the events, the redirect target). No difference: the sides agree.
import { diffDumps, type DumpEntry } from "../maps/index.ts";
import { xdpActionName } from "../xdp/index.ts";
import { hexOf, sideName, type CaseOutcome, type Side } from "./outcome.ts";

export type Aspect = "action" | "packet" | "map" | "events" | "redirect";

export interface Difference {
  readonly aspect: Aspect;
  // The side that differs from the host interpreter.
  readonly side: Side;
  // What differs, independent of the values: "action", "packet", "map flows key 0a000001"...
  readonly where: string;
  readonly text: string;
}

// Map entry differences listed per map before the rest is summed up.
export const MAX_ENTRY_LINES = 8;

export function actionText(o: CaseOutcome): string {
  return o.action === undefined ? `fault (${o.fault ?? "no message"})` : xdpActionName(BigInt(o.action));
}

export function compareOutcomes(reference: CaseOutcome, other: CaseOutcome): Difference[] {
  const a = sideName[reference.side];
  const b = sideName[other.side];
  const out: Difference[] = [];
  if ((reference.action === undefined) !== (other.action === undefined) || reference.action !== other.action) {
    out.push({ side: other.side, aspect: "action", where: "action", text: `action: ${a} ${actionText(reference)}, ${b} ${actionText(other)}` });
  }
  const pa = hexOf(reference.packet);
  const pb = hexOf(other.packet);
  if (pa !== pb) {
    if (reference.packet.length !== other.packet.length) {
      out.push({ side: other.side, aspect: "packet", where: "packet", text: `output packet: ${a} ${reference.packet.length} bytes, ${b} ${other.packet.length} bytes` });
    } else {
      const offsets: number[] = [];
      for (let i = 0; i < reference.packet.length; i++) if (reference.packet[i] !== other.packet[i]) offsets.push(i);
      const shown = offsets.slice(0, MAX_ENTRY_LINES).map((i) => `${i} (${a} ${byte(reference.packet[i])}, ${b} ${byte(other.packet[i])})`);
      out.push({ side: other.side, aspect: "packet", where: "packet", text: `output packet differs at byte${offsets.length === 1 ? "" : "s"} ${shown.join(", ")}${offsets.length > MAX_ENTRY_LINES ? `, ... (${offsets.length} in all)` : ""}` });
    }
  }
  const count = Math.min(reference.maps.length, other.maps.length);
  for (let i = 0; i < count; i++) {
    const diff = diffDumps(reference.maps[i], other.maps[i]);
    if (diff.identical) continue;
    const name = reference.maps[i].map;
    const lines = [
      ...diff.removed.map((e) => ({ key: e.key, text: `key ${e.key} only on the ${a} (${entryText(e)})` })),
      ...diff.added.map((e) => ({ key: e.key, text: `key ${e.key} only on the ${b} (${entryText(e)})` })),
      ...diff.changed.map((c) => ({ key: c.key, text: `key ${c.key}: ${a} ${entryText(c.before)}, ${b} ${entryText(c.after)}` })),
    ];
    lines.forEach((line, n) => {
      if (n < MAX_ENTRY_LINES) out.push({ side: other.side, aspect: "map", where: `map ${name} key ${line.key}`, text: `map ${name}: ${line.text}` });
    });
    if (lines.length > MAX_ENTRY_LINES) out.push({ side: other.side, aspect: "map", where: `map ${name} more`, text: `map ${name}: ... and ${lines.length - MAX_ENTRY_LINES} more` });
  }
  if (reference.events.join("\n") !== other.events.join("\n")) {
    out.push({ side: other.side, aspect: "events", where: "events", text: `events: ${a} [${reference.events.join("; ")}], ${b} [${other.events.join("; ")}]` });
  }
  if (reference.redirect !== undefined && other.redirect !== undefined && reference.redirect !== other.redirect) {
    out.push({ side: other.side, aspect: "redirect", where: "redirect", text: `redirect: ${a} ${reference.redirect}, ${b} ${other.redirect}` });
  }
  return out;
}

const byte = (b: number | undefined): string => (b === undefined ? "--" : b.toString(16).padStart(2, "0"));

function entryText(entry: DumpEntry): string {
  if (entry.map !== undefined) return `map "${entry.map}"`;
  if (entry.percpu !== undefined) return entry.percpu.map((v, cpu) => `cpu${cpu} ${v}`).join(", ");
  return entry.value ?? "";
}
