// `offload-sim inspect`: its per-program instruction counts against what
// llvm-objdump -d prints for the same functions, and its output and errors.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectObject, type InspectReport } from "../../src/elf/inspect.ts";
import { loadObject } from "../../src/elf/load-object.ts";
import { corpusObjects, fixtureObjects, fixturePath, objdumpCounts, toolMissing } from "./fixtures.ts";

const cli = resolve(import.meta.dirname, "../../bin/offload-sim.js");
const inspect = (...args: string[]) => spawnSync(process.execPath, [cli, "inspect", ...args], { encoding: "utf8" });

const objdumpMissing = toolMissing("llvm-objdump");
if (objdumpMissing) console.log(`skipping llvm-objdump instruction counts: ${objdumpMissing}`);

describe.skipIf(objdumpMissing !== undefined)("inspect's instruction counts equal llvm-objdump's", () => {
  for (const name of fixtureObjects()) {
    it(`${name} (through the CLI)`, () => {
      const result = inspect(fixturePath(name), "--json");
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as InspectReport;
      const counts = objdumpCounts(fixturePath(name));
      expect(report.programs.length).toBeGreaterThan(0);
      for (const p of report.programs) expect(p.instructions, p.name).toBe(counts.get(p.name));
    });
  }

  for (const path of corpusObjects()) {
    it(`${basename(path)} (sample corpus)`, () => {
      const report = inspectObject(loadObject(new Uint8Array(readFileSync(path)), basename(path)));
      const counts = objdumpCounts(path);
      for (const p of report.programs) expect(p.instructions, p.name).toBe(counts.get(p.name));
    });
  }
});

describe("offload-sim inspect", () => {
  it("prints programs, maps and relocations as tables", () => {
    const result = inspect(fixturePath("subprogs.o"));
    expect(result.status).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`${fixturePath("subprogs.o")}: little-endian eBPF object, license "GPL"`);
    expect(text).toMatch(/^ {2}xdp_classify +xdp +xdp +\d+ +56 +classify, add_total, global_helper$/m);
    expect(text).toMatch(/^ {2}0 +totals +array +4 +8 +8 +0x0 +-$/m);
    expect(text).toMatch(/^ {2}xdp +25 +xdp_sum +R_BPF_64_64 +\.text +address of loop_step$/m);
  });

  it("fails with one sentence and exit status 2 on a malformed object", () => {
    const result = inspect(fixturePath("subprogs.c"));
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^offload-sim: .*subprogs\.c: byte 0x0: the file is not an ELF file: .*\.\n$/);
  });
});
