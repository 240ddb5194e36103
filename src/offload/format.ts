// Text and JSON views of the compiler's answers, for the CLI: the capability
// report (blockers with pc, disassembly, C line and reason), the offload plan
// as a table, and the --explain listing.
import { readFileSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import type { CapabilityReport } from "./capability.ts";
import type { ExplainedStage } from "./explain.ts";
import type { OffloadPlan } from "./plan.ts";

function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

// Blank C lines in a report (BTF line info without its text) read from the source file when it can be found
// next to the object or relative to the working directory.
export function withSourceText(report: CapabilityReport, objectPath: string): CapabilityReport {
  const files = new Map<string, string[] | undefined>();
  const linesOf = (file: string): string[] | undefined => {
    if (!files.has(file)) {
      const candidates = [file, join(dirname(objectPath), basename(file)), join(dirname(objectPath), file)];
      let text: string[] | undefined;
      for (const c of candidates) {
        try {
          text = readFileSync(c, "utf8").split("\n");
          break;
        } catch {
          // try the next place
        }
      }
      files.set(file, text);
    }
    return files.get(file);
  };
  return {
    ...report,
    blockers: report.blockers.map((b) => {
      if (!b.source || b.source.text) return b;
      const text = linesOf(b.source.file)?.[b.source.line - 1]?.trim() ?? "";
      return { ...b, source: { ...b.source, text } };
    }),
  };
}

export function formatCapabilityReport(r: CapabilityReport): string {
  const out: string[] = [];
  const verdict = r.fullyOffloadable
    ? `${r.program} can be offloaded to ${r.preset} in full.`
    : `${r.program} on ${r.preset}: ${r.blockers.length} instruction${r.blockers.length === 1 ? "" : "s"} cannot run on the card; packets that reach ${r.blockers.length === 1 ? "it" : "them"} continue on the host.`;
  out.push(verdict, "");
  if (r.blockers.length) {
    out.push(
      table(
        ["pc", "instruction", "source", "why"],
        r.blockers.map((b) => [String(b.pc), b.disassembly, b.source ? `${basename(b.source.file)}:${b.source.line}${b.source.text ? ` ${b.source.text}` : ""}` : "", b.reason]),
        new Set([0]),
      ),
      "",
      "rules: " + [...new Set(r.blockers.map((b) => `${b.rule} (${b.ruleSource})`))].join("; "),
      "",
    );
  }
  if (r.maps.length) {
    out.push(
      table(
        ["map", "type", "key", "value", "entries", "on NIC", "notes"],
        r.maps.map((m) => [m.name, m.type, `${m.keyBytes} B`, `${m.valueBytes} B`, String(m.maxEntries), m.usedOnNic ? "yes" : "no", m.reasons.join("; ")]),
        new Set([2, 3, 4]),
      ),
      "",
    );
  }
  out.push(`${r.reachableInstructions} of ${r.instructions} instructions reachable; eBPF stack ${r.stackBytes} of ${r.stackLimitBytes} bytes.`);
  return `${out.join("\n")}\n`;
}

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");

const coreRange = (cores: readonly number[]): string => (cores.length === 0 ? "-" : cores.length === 1 ? String(cores[0]) : `${cores[0]}-${cores[cores.length - 1]} (${cores.length})`);

export function formatPlan(p: OffloadPlan): string {
  const out: string[] = [];
  out.push(`${p.program} on ${p.preset} with ${p.cores} core${p.cores === 1 ? "" : "s"}: ${p.status === "full" ? "fully offloaded" : p.status === "host" ? "runs on the host" : "partly offloaded"}, ${p.stages.length} stage${p.stages.length === 1 ? "" : "s"}.`, "");
  const rows = p.stages.map((s) => [
    s.name,
    coreRange(s.cores),
    String(s.microcodeInstructions),
    s.handoverInBytes ? `${s.handoverInBytes} B` : "-",
    s.handoverOutBytes ? `${s.handoverOutBytes} B` : "-",
    fixed(s.visitsPerPacket, 2),
    fixed(s.issueCyclesPerPacket),
    fixed(s.waitCyclesPerPacket),
    fixed(s.cyclesPerPacket),
    fixed(s.predictedMpps),
  ]);
  if (p.host) rows.push(["host", "-", "-", "-", "-", fixed(p.host.visitsPerPacket, 2), "-", "-", "-", fixed(p.host.predictedMpps)]);
  out.push(table(["stage", "cores", "microcode", "state in", "state out", "visits", "issue cyc", "wait cyc", "core cyc", "Mpps"], rows, new Set([2, 3, 4, 5, 6, 7, 8, 9])), "");
  if (p.host) {
    out.push("host part: " + p.host.description + ".");
    for (const e of p.host.exits) out.push(`  resumes at pc ${e.resumePc}: ${e.reasons.join("; ")}`);
    out.push("");
  }
  if (p.maps.length) {
    out.push(table(["map", "placed in", "bytes", "accesses/packet", "why"], p.maps.map((m) => [m.name, m.unit, String(m.footprintBytes), fixed(m.accessesPerPacket, 2), m.reason]), new Set([2, 3])), "");
  }
  out.push(`predicted: ${fixed(p.predicted.mpps)} Mpps at ${p.predicted.packetBytes}-byte packets; bottleneck: ${p.predicted.bottleneck}.`);
  out.push(`bounds: ${p.bounds.map((b) => `${b.name} ${fixed(b.mpps)}`).join(", ")} (Mpps).`);
  const scratch = p.scratchBytes ? `; stack bytes in the thread's scratch window (CLS): ${p.scratchBytes}` : "";
  out.push(`local memory per thread: ${p.localMemoryBytes} bytes${p.spilledRegisters ? `, ${p.spilledRegisters} registers spilled to it` : ""}${scratch}.`);
  return `${out.join("\n")}\n`;
}

export function formatExplain(stages: readonly ExplainedStage[]): string {
  const out: string[] = [];
  for (const s of stages) {
    out.push("", `${s.name} on cores ${coreRange(s.cores)}: ${s.rows.length} microcode instructions, ${fixed(s.cyclesPerPacket)} core cycles per packet (estimated)`);
    const width = Math.max(12, ...s.rows.map((r) => (r.ebpf ? r.ebpf.length + 7 : 0)));
    for (const r of s.rows) {
      const left = r.ebpf !== undefined ? `${String(r.pc).padStart(5)}  ${r.ebpf}` : "";
      const cost = `${fixed(r.issueCycles, 0)}${r.waitCycles ? ` +${fixed(r.waitCycles, 0)} wait` : ""}`;
      if (r.label) out.push(`${"".padEnd(width)} | ${r.label}:`);
      out.push(`${left.padEnd(width)} |     ${r.microcode.padEnd(44)} ${cost}`);
    }
  }
  return `${out.join("\n")}\n`;
}

// The plan without what only generate() needs (the program and its maps, block assignments).
export function planJson(p: OffloadPlan): Record<string, unknown> {
  const { source: _source, mapDefs: _maps, stageOfIrBlock: _blocks, ...rest } = p;
  void _source;
  void _maps;
  void _blocks;
  return rest as unknown as Record<string, unknown>;
}
