// Every bpf_conformance vector must pass on the compiled tier too, with the
// same outcome (pass, or the same reason) as on the reference interpreter.
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { conformanceFiles, runConformanceFile } from "../../src/conformance/runner.ts";
import { runCompiled } from "../../src/interp/compile.ts";

import { CONFORMANCE_DIR as SUITE } from "../support/conformance-dir.ts";
const present = existsSync(SUITE);
if (!present) console.warn(`skipping the bpf_conformance suite on the compiled tier: ${SUITE} is not on this machine`);

describe.skipIf(!present)("bpf_conformance vectors on the compiled tier", () => {
  const files = present ? conformanceFiles([SUITE]) : [];

  it("finds the whole suite", () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it("passes every vector, as the reference interpreter does", () => {
    const failures = files.flatMap((path) => {
      const compiled = runConformanceFile(path, runCompiled);
      const reference = runConformanceFile(path);
      const outcome = (o: typeof compiled): string => (o.passed ? "pass" : o.reason);
      return outcome(compiled) === "pass" && outcome(reference) === "pass" ? [] : [`${basename(path)}: compiled ${outcome(compiled)}; reference ${outcome(reference)}`];
    });
    expect(failures).toEqual([]);
  });
});
