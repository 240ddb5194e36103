// The exec and conformance commands as a user runs them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const cli = (...args: string[]) => {
  const result = spawnSync(process.execPath, ["bin/offload-sim.js", ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const dir = mkdtempSync(join(tmpdir(), "offload-sim-interp-"));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("offload-sim conformance", () => {
  it("prints one line per failure and the totals last, exiting 1", () => {
    const good = write("good.data", "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n");
    const bad = write("bad.data", "-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n");
    const out = cli("conformance", good, bad);
    expect(out.status).toBe(1);
    const lines = out.stdout.trimEnd().split("\n");
    expect(lines).toEqual([`FAIL ${bad}: returned 0x2, expected 0x3`, "1 passed, 1 failed"]);
  });

  it("exits 0 when everything passes and 2 for a missing path", () => {
    expect(cli("conformance", write("ok.data", "-- asm\nexit\n-- result\n0\n")).status).toBe(0);
    const missing = cli("conformance", join(dir, "nope"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such file or directory/);
  });
});

describe("offload-sim exec", () => {
  const source = write("sum.s", "ldxw %r0, [%r1]\nadd %r0, %r2\nexit\n");

  it("prints r0, reading --mem as the input memory (r2 = its length)", () => {
    const out = cli("exec", source, "--mem", "05 00 00 00");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^r0 = 0x9 \(9\)$/m);
  });

  it("prints the fault as JSON and exits 1", () => {
    const out = cli("exec", source, "--json");
    expect(out.status).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ result: "fault", fault: { kind: "memory", pc: 0, address: "0x0", size: 4, reason: "unmapped" } });
  });

  it("refuses a file that is neither assembly nor raw bytes", () => {
    const out = cli("exec", write("prog.txt", "exit\n"));
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/prog\.txt: expected an assembly file/);
  });
});
