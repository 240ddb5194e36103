// Wraps a run's or a sweep's result in the versioned report envelope that
// --json writes and every view reads.
import { readFileSync } from "node:fs";
import { REPORT_SCHEMA, REPORT_VERSION, validateReport, type Report, type RunReport, type RunResult, type SweepReport, type SweepResult } from "./schema.ts";

const packageJson = new URL("../../package.json", import.meta.url);

// The tool's version, from package.json.
export function toolVersion(): string {
  const parsed = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  return typeof parsed.version === "string" ? parsed.version : "unknown";
}

export function runReport(run: RunResult): RunReport {
  return checked({ schema: REPORT_SCHEMA, version: REPORT_VERSION, kind: "run", tool: { name: "offload-sim", version: toolVersion() }, run });
}

export function sweepReport(sweep: SweepResult): SweepReport {
  return checked({ schema: REPORT_SCHEMA, version: REPORT_VERSION, kind: "sweep", tool: { name: "offload-sim", version: toolVersion() }, sweep });
}

// A report that breaks its own schema is our bug (a NaN that slipped through, say): never written out.
function checked<R extends Report>(report: R): R {
  const errors = validateReport(JSON.parse(JSON.stringify(report)));
  if (errors.length > 0) throw new Error(`the report does not match its schema: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.problem}`).join("; ")}`);
  return report;
}
