// `offload-sim verify` end to end through bin/offload-sim.js: verdicts, the
// kernel's words, logs, JSON and exit codes (0 accepted, 1 rejected, 2 bad input).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(root, "bin/offload-sim.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, "verify", ...args], { encoding: "utf8", cwd: root });

describe("offload-sim verify", () => {
  it("accepts both programs of xdp_tailcall.o and exits 0", () => {
    const result = run("programs/xdp_tailcall.o");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^xdp_ipv4_stage: accepted; processed \d+ insns/m);
    expect(result.stdout).toMatch(/^xdp_dispatch: accepted; processed \d+ insns/m);
  });

  it("rejects an off-by-one packet read with the instruction and the kernel's two lines, exit 1", () => {
    const result = run("test/verifier/cases/reject-packet-off-by-one.s", "--log-level", "1");
    expect(result.status).toBe(1);
    // The kernel's level-1 log of the failing path ends with the instruction and the reason.
    expect(result.stdout).toContain("5: (71) r0 = *(u8 *)(r2 +14)\ninvalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)\nR2 offset is outside of the packet\n");
    expect(result.stdout).toMatch(/rejected at insn 5: r0 = \*\(u8 \*\)\(r2 \+ 14\)/);
  });

  it("prints every instruction with its register state at log level 2", () => {
    const result = run("programs/xdp_pass.o", "--log-level", "2");
    expect(result.status).toBe(0);
    // As the kernel prints xdp_pass: r0 = 2 (XDP_PASS), then exit.
    expect(result.stdout).toContain("0: R1=ctx() R10=fp0\n0: (b7) r0 = 2                        ; R0=2\n1: (95) exit\n");
    expect(result.stdout).toMatch(/^processed 2 insns \(limit 1000000\)/m);
  });

  it("gives per-instruction facts as JSON for the selected program", () => {
    const result = run("programs/xdp_tailcall.o", "--prog", "xdp_dispatch", "--json");
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { programs: { program: string; verdict: string; insns: { pc: number; reachable: boolean; regs: { kind: string; type?: string }[] }[] }[] };
    expect(report.programs).toHaveLength(1);
    expect(report.programs[0]).toMatchObject({ program: "xdp_dispatch", verdict: "accepted" });
    expect(report.programs[0].insns[0]).toMatchObject({ pc: 0, reachable: true });
    expect(report.programs[0].insns[0].regs[1]).toMatchObject({ kind: "ptr", type: "ctx" });
  });

  it("exits 2 with one sentence for a missing file or an unknown program", () => {
    const missing = run("no-such.o");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^offload-sim: cannot read no-such\.o/);
    const unknown = run("programs/xdp_tailcall.o", "--prog", "nope");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("offload-sim: programs/xdp_tailcall.o has no program 'nope' (it has: xdp_ipv4_stage, xdp_dispatch).\n");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
