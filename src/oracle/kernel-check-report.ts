// How a kernel-check report reads: one summary line when everything agrees;
// for the first mismatch the packet (hex dump and layers), the two outcomes
// side by side, the map entries that differ and the interpreter's last
// instructions; for a program the kernel refuses, the verifier's log.
import { formatIntegerRanges } from "../integer-ranges.ts";
import { formatTraceStep } from "../interp/trace.ts";
import { describePacket } from "../traffic/index.ts";
import { xdpActionName } from "../xdp/layout.ts";
import type { EntryDifference } from "./map-snapshot.ts";
import type { KernelCheckReport, Mismatch, SideOutcome } from "./kernel-check.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const BYTES_PER_LINE = 16;
const COLUMN = 34;

export function hexDump(bytes: Uint8Array, indent = "  "): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += BYTES_PER_LINE) {
    const row = Array.from(bytes.subarray(at, at + BYTES_PER_LINE), (b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(`${indent}${at.toString(16).padStart(4, "0")}  ${row}`);
  }
  return lines;
}

const actionText = (side: SideOutcome | undefined): string => {
  if (side === undefined) return "-";
  if (side.action === undefined) return `fault: ${side.fault ?? "?"}`;
  return `${xdpActionName(BigInt(side.action))} (${side.action})`;
};

function actionSummary(actions: Readonly<Record<string, number>>): string {
  return Object.entries(actions)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, n]) => `${code === "fault" ? "fault" : xdpActionName(BigInt(code))} ${n}`)
    .join(", ");
}

// Byte offsets where two frames differ, as ranges ("12-13, 24"), plus a length note.
function differingOffsets(a: Uint8Array, b: Uint8Array): string {
  const offsets: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) offsets.push(i);
  const lengths = a.length === b.length ? "" : `lengths ${a.length} and ${b.length}`;
  return [offsets.length > 0 ? `bytes ${formatIntegerRanges(offsets)} differ` : "", lengths].filter((s) => s !== "").join("; ") || "identical";
}

const valuesText = (values: readonly Uint8Array[] | undefined): string =>
  values === undefined ? "(absent)" : values.length === 1 ? hex(values[0]) : values.map((v, cpu) => `cpu${cpu}=${hex(v)}`).join(" ");

function mapLines(differences: readonly EntryDifference[]): string[] {
  return differences.flatMap((d) => [`  map "${d.map}" key ${d.key}:`, `    kernel:      ${valuesText(d.kernel)}`, `    interpreter: ${valuesText(d.interpreter)}`]);
}

function row(label: string, kernel: string, interpreter: string): string {
  return `  ${label.padEnd(16)}${kernel.padEnd(COLUMN)}${interpreter}`;
}

function mismatchLines(m: Mismatch): string[] {
  if (m.index < 0) return [`MISMATCH before the first packet: ${m.note ?? ""}`, ...mapLines(m.maps)];
  const packet = m.packet!.packet;
  const lines = [`MISMATCH at packet #${m.index} (${m.packet!.label})`, `packet (${packet.length} bytes): ${describePacket(packet)}`, ...hexDump(packet)];
  if (m.note !== undefined) lines.push(`note: ${m.note}`);
  lines.push(row("", "kernel", "interpreter"));
  lines.push(row(m.action ? "action *" : "action", actionText(m.kernel), actionText(m.interpreter)));
  const k = m.kernel!;
  const s = m.interpreter!;
  lines.push(row(k.packet.length !== s.packet.length ? "length *" : "length", String(k.packet.length), String(s.packet.length)));
  if (m.packetBytes) {
    lines.push(`  output packet: ${differingOffsets(k.packet, s.packet)}`, "  kernel:", ...hexDump(k.packet, "    "), "  interpreter:", ...hexDump(s.packet, "    "));
  } else {
    lines.push("  output packet: identical");
  }
  if (m.metadata) lines.push(`  metadata: kernel ${hex(k.metadata)}, interpreter ${hex(s.metadata)}`);
  if (m.maps.length > 0) lines.push(`maps that differ after the packet:`, ...mapLines(m.maps));
  else lines.push("maps: identical");
  if (m.trace.length > 0) {
    const shown = m.trace.length < m.steps ? `last ${m.trace.length} of ${m.steps}` : `all ${m.steps}`;
    lines.push(`interpreter trace (${shown} instructions):`, ...m.trace.map((step) => `  ${formatTraceStep(step)}`));
  }
  return lines;
}

export function formatKernelCheck(report: KernelCheckReport, objectName: string): string {
  switch (report.kind) {
    case "rejected":
      return [
        `REJECTED: the kernel verifier refuses program '${report.program}' of ${objectName} (${report.errno}); this says nothing about the interpreter.`,
        report.message,
        "verifier log:",
        report.verifierLog.trimEnd(),
        "",
      ].join("\n");
    case "agree": {
      const extras = [
        report.bracketed > 0 ? `${report.bracketed} packets read the clock or random numbers and were bracketed` : "",
        report.excludedRandom > 0 ? `${report.excludedRandom} packets depended on the kernel's random numbers (bpf_get_prandom_u32, or the secret of the SYN-cookie helpers) and were not compared` : "",
      ].filter((s) => s !== "");
      return [
        // A packet left out is not claimed to agree.
        `AGREE: ${objectName} program ${report.program}: ${report.packets - report.excludedRandom} of ${report.packets} packets agree${report.excludedRandom > 0 ? `, ${report.excludedRandom} not compared` : ""} (${actionSummary(report.actions) || "no packets"})`,
        `  compared after every packet: action, output packet, metadata, maps ${report.comparedMaps.join(", ") || "(none)"}; CPU ${report.cpu}`,
        ...(report.notComparedMaps.length > 0 ? [`  not compared (no syscall reads them): ${report.notComparedMaps.join(", ")}`] : []),
        ...extras.map((e) => `  ${e}`),
        "",
      ].join("\n");
    }
    case "mismatch":
      return [`${objectName} program ${report.program}: ${report.packets} packets agreed, then:`, ...mismatchLines(report.mismatch), ""].join("\n");
  }
}

export function kernelCheckJson(report: KernelCheckReport, objectName: string): Record<string, unknown> {
  const side = (o: SideOutcome | undefined): unknown =>
    o === undefined ? null : { action: o.action ?? null, actionName: o.action === undefined ? "fault" : xdpActionName(BigInt(o.action)), packet: hex(o.packet), length: o.packet.length, metadata: hex(o.metadata), ...(o.fault ? { fault: o.fault } : {}) };
  const entries = (d: readonly EntryDifference[]): unknown =>
    d.map((e) => ({ map: e.map, key: e.key, kernel: e.kernel?.map(hex) ?? null, interpreter: e.interpreter?.map(hex) ?? null }));
  switch (report.kind) {
    case "rejected":
      return { object: objectName, verdict: "rejected", program: report.program, errno: report.errno, message: report.message, verifierLog: report.verifierLog };
    case "agree":
      return { object: objectName, verdict: "agree", ...report };
    case "mismatch": {
      const m = report.mismatch;
      return {
        object: objectName,
        verdict: "mismatch",
        program: report.program,
        packetsAgreed: report.packets,
        cpu: report.cpu,
        mismatch: {
          index: m.index,
          label: m.packet?.label ?? null,
          packet: m.packet ? hex(m.packet.packet) : null,
          decoded: m.packet ? describePacket(m.packet.packet) : null,
          kernel: side(m.kernel),
          interpreter: side(m.interpreter),
          maps: entries(m.maps),
          trace: m.trace.map(formatTraceStep),
          steps: m.steps,
          ...(m.note ? { note: m.note } : {}),
        },
      };
    }
  }
}
