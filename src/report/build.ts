// Wraps a run's or a sweep's result in the versioned report envelope that
// --json writes and every view reads.
import { readFileSync } from "node:fs";
import { REPORT_SCHEMA, REPORT_VERSION, type RunReport, type RunResult, type SweepReport, type SweepResult } from "./schema.ts";

const packageJson = new URL("../../package.json", import.meta.url);

// The tool's version, from package.json.
export function toolVersion(): string {
  const parsed = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  return typeof parsed.version === "string" ? parsed.version : "unknown";
}

export function runReport(run: RunResult): RunReport {
  return { schema: REPORT_SCHEMA, version: REPORT_VERSION, kind: "run", tool: { name: "offload-sim", version: toolVersion() }, run };
}

export function sweepReport(sweep: SweepResult): SweepReport {
  return { schema: REPORT_SCHEMA, version: REPORT_VERSION, kind: "sweep", tool: { name: "offload-sim", version: toolVersion() }, sweep };
}
