// The counterexample as a person reads it: what differs, the plan, the packet
// decoded layer by layer and in hex, the initial map state, each side's
// outcome, where the two executions first diverge (lock-step trace of eBPF pc
// and microcode pc with register values), the program when it was generated,
// and the command line that replays it.
import { disassembleInstructions, type Program } from "../ebpf/index.ts";
import type { TraceStep } from "../interp/index.ts";
import { dumpMap, type MapDump } from "../maps/index.ts";
import { describePacket } from "../traffic/index.ts";
import type { Counterexample } from "./suite.ts";
import { actionText } from "./compare.ts";
import type { InputReport } from "./case.ts";
import { runHostSide } from "./host-side.ts";
import { firstDivergence, formatDivergence, hostPath } from "./lockstep.ts";
import { hexOf, sideName, type CaseOutcome } from "./outcome.ts";

// Map entries printed per map before the rest is counted.
const MAX_MAP_LINES = 12;
const HEX_BYTES_PER_LINE = 16;

export interface ReplayCommand {
  // The command up to the options: "offload-sim equiv programs/xdp_firewall.o --prog xdp_firewall".
  readonly prefix: string;
}

export function formatCounterexample(cx: Counterexample, replay: ReplayCommand): string {
  const { report } = cx;
  const subject = cx.case.subject;
  const failing = report.inputs[report.inputs.length - 1];
  const against = failing.differences.length === 0 ? "a side" : failing.differences.some((d) => d.side === "nic") ? "the NIC" : "the kernel";
  const lines: string[] = [];
  lines.push(`DIFFERENCE: ${against} and the host interpreter disagree on ${subject.label}`);
  lines.push(`  found after ${cx.casesBefore} agreeing case${cx.casesBefore === 1 ? "" : "s"}, shrunk ${cx.shrinks} time${cx.shrinks === 1 ? "" : "s"}`);
  lines.push("", "what differs:");
  for (const d of failing.differences) lines.push(`  ${d.text}`);
  // The report comes from running the shrunk case once more (with traces); a side that is not deterministic may then agree.
  if (failing.differences.length === 0) lines.push("  nothing, when the case ran again for this report: a side's outcome on it varies from run to run (replay it to see it differ again)");
  lines.push("", `plan: ${report.variation.cores} core${report.variation.cores === 1 ? "" : "s"}, stage cut #${report.variation.cut}`);
  if (report.target) for (const l of report.target.planLines) lines.push(`  ${l}`);
  else if (report.refused) lines.push(`  not offloaded: ${report.refused}`);
  else if (report.failed) lines.push(`  the compiler failed: ${report.failed}`);
  lines.push("", ...packetLines("packet in", failing.prepared.packet));
  lines.push("", ...initialMapLines(failing));
  lines.push("", "outcomes:");
  for (const o of [failing.host.outcome, failing.nic?.outcome, failing.kernel].filter((x): x is CaseOutcome => x !== undefined)) {
    lines.push(...outcomeLines(o, failing.prepared.packet));
  }
  if (failing.nic) {
    lines.push("", "first divergence (lock-step: eBPF pc on the host, microcode pc on the NIC):");
    const hostSteps: TraceStep[] = [];
    runHostSide(subject, failing.prepared.packet, failing.prepared.applied.maps, failing.prepared.env, (s) => hostSteps.push(s));
    if (failing.nic.trace) lines.push(...formatDivergence(firstDivergence(subject.insns, hostSteps, failing.nic.trace, failing.nic.hostResumePc, failing.nic.lowered, failing.nic.registerHomes)).map((l) => `  ${l}`));
    else lines.push(`  (no microcode trace: ${failing.nic.traceMissing ?? "the NIC side gives none"})${failing.nic.hostResumePc === undefined ? "" : `; the NIC handed the packet to the host at eBPF pc ${failing.nic.hostResumePc}`}`, ...hostTail(subject.insns, hostSteps).map((l) => `  ${l}`));
  }
  if (subject.object === undefined) {
    lines.push("", `generated program (${subject.insns.length} instructions):`);
    for (const i of disassembleInstructions(subject.insns)) lines.push(`  ${String(i.pc).padStart(4)}: ${i.text}`);
  }
  lines.push("", "replay:", `  ${replay.prefix} --replay ${cx.token}`);
  return `${lines.join("\n")}\n`;
}

// The host's last steps, with the registers each changed: where to start reading.
function hostTail(insns: Program, steps: readonly TraceStep[]): string[] {
  return steps.length ? [`the host interpreter's last ${Math.min(steps.length, 8)} steps:`, ...hostPath(insns, steps, 8)] : [];
}

export function packetLines(title: string, packet: Uint8Array): string[] {
  const lines = [`${title} (${packet.length} bytes):`, `  ${describePacket(packet)}`];
  for (let at = 0; at < packet.length; at += HEX_BYTES_PER_LINE) {
    const row = Array.from(packet.subarray(at, at + HEX_BYTES_PER_LINE), (b) => b.toString(16).padStart(2, "0"));
    lines.push(`  ${at.toString(16).padStart(4, "0")}  ${row.slice(0, 8).join(" ")}${row.length > 8 ? `  ${row.slice(8).join(" ")}` : ""}`);
  }
  return lines;
}

function initialMapLines(failing: InputReport): string[] {
  const maps = failing.prepared.applied.maps;
  if (maps.length === 0) return ["initial maps: none"];
  const lines = ["initial maps (the program's own contents, then this case's edits):"];
  maps.forEach((map, i) => {
    const edits = failing.input.state[i]?.length ?? 0;
    const dump = dumpMap(map);
    lines.push(`  ${map.def.name} (${dump.type}, ${dump.entries.length} of ${map.def.maxEntries} entries${edits > 0 ? `, ${edits} edit${edits === 1 ? "" : "s"} by the case` : ""})`);
    lines.push(...dumpLines(dump).map((l) => `    ${l}`));
  });
  return lines;
}

function dumpLines(dump: MapDump): string[] {
  const isArray = dump.type === "array" || dump.type === "percpu_array";
  const zero = (hex: string | undefined): boolean => hex !== undefined && /^0*$/.test(hex);
  // Arrays hold every index: only the non-zero elements are listed.
  const shown = dump.entries.filter((e) => !isArray || !(zero(e.value) || (e.percpu?.every(zero) ?? false)));
  const all = shown.map((e) => `key ${e.key}: ${e.value ?? (e.percpu ? e.percpu.map((v, cpu) => `cpu${cpu} ${v}`).join(", ") : e.map ? `map "${e.map}"` : "")}`);
  if (all.length === 0) return isArray ? ["(every element zero)"] : [];
  return all.length > MAX_MAP_LINES ? [...all.slice(0, MAX_MAP_LINES), `... and ${all.length - MAX_MAP_LINES} more`] : all;
}

function outcomeLines(o: CaseOutcome, input: Uint8Array): string[] {
  const lines = [`  ${sideName[o.side]}: ${actionText(o)}${o.redirect ? ` (redirect to ${o.redirect})` : ""}`];
  if (hexOf(o.packet) === hexOf(input)) lines.push("    packet out: unchanged");
  else lines.push(...packetLines("packet out", o.packet).map((l) => `    ${l}`));
  if (o.events.length > 0) lines.push(`    events: ${o.events.join("; ")}`);
  return lines;
}
