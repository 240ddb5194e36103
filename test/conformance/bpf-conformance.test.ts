// Every bpf_conformance vector in the shared copy of the suite must pass.
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { conformanceFiles, runConformanceFile } from "../../src/conformance/runner.ts";

import { CONFORMANCE_DIR as SUITE } from "../support/conformance-dir.ts";
const present = existsSync(SUITE);
if (!present) console.warn(`skipping the bpf_conformance suite: ${SUITE} is not on this machine`);

describe.skipIf(!present)("bpf_conformance vectors", () => {
  const files = present ? conformanceFiles([SUITE]) : [];

  it("finds the whole suite", () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it.each(files.map((path) => ({ name: basename(path), path })))("$name", ({ path }) => {
    const outcome = runConformanceFile(path);
    expect(outcome.passed ? "pass" : outcome.reason).toBe("pass");
  });
});
