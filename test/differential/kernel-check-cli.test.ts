// `offload-sim kernel-check` end to end: its verdicts and exit statuses
// (0 all agree, 1 mismatch or refused program, 2 bad input or no kernel).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodePcap } from "../../src/traffic/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(root, "bin/offload-sim.js");
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: root, env: { ...process.env, ...env } });

describe("offload-sim kernel-check without a kernel", () => {
  it("says why the kernel cannot be used and exits 2", () => {
    const result = run(["kernel-check", "programs/xdp_pass.o", "--packets", "5"], { OFFLOAD_SIM_NO_KERNEL: "1" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("kernel oracle unavailable: disabled by OFFLOAD_SIM_NO_KERNEL=1");
  });

  it("refuses bad input with one sentence and exit 2", () => {
    const zero = run(["kernel-check", "programs/xdp_pass.o", "--packets", "0"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain("--packets must be a positive integer");
    const env = run(["kernel-check", "programs/xdp_router.o", "--env", "programs/expectations.json#nowhere"]);
    expect(env.status).toBe(2);
    expect(env.stderr).toContain("has no environment named 'nowhere'");
  });
});

const clang = spawnSync("clang", ["--version"]).status === 0 && existsSync("/usr/include/bpf/bpf_helpers.h");
if (kernelAvailable && !clang) console.warn("\n*** KERNEL-CHECK REFUSAL TEST SKIPPED: clang or the libbpf headers are missing ***\n");

describe.skipIf(!kernelAvailable)("offload-sim kernel-check with the kernel", () => {
  it("agrees on xdp_pass and exits 0, in text and in JSON", () => {
    const text = run(["kernel-check", "programs/xdp_pass.o", "--packets", "30", "--seed", "3"]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^AGREE: programs\/xdp_pass.o program xdp_pass: 30 of 30 packets agree \(XDP_PASS 30\)/);
    const json = JSON.parse(run(["kernel-check", "programs/xdp_pass.o", "--packets", "30", "--json"]).stdout);
    expect(json).toMatchObject({ verdict: "agree", program: "xdp_pass", packets: 30 });
  });

  it("takes packets from a capture, leaving out those the kernel refuses", () => {
    const dir = mkdtempSync(join(tmpdir(), "osim-kc-"));
    const frames = [new Uint8Array(60).fill(1), new Uint8Array(10), new Uint8Array(14)];
    writeFileSync(join(dir, "in.pcap"), encodePcap(frames.map((data) => ({ data, timestampNs: 0n }))));
    const result = run(["kernel-check", "programs/xdp_mac_swap.o", "--pcap", join(dir, "in.pcap")]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("1 packets shorter than 14 bytes left out");
    expect(result.stdout).toContain("2 of 2 packets agree");
  });

  it.skipIf(!clang)("reports a program the verifier refuses, with its log, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "osim-kc-"));
    // Reads the packet without checking data_end: the verifier refuses it.
    writeFileSync(
      join(dir, "unchecked.c"),
      '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int unchecked(struct xdp_md *ctx) { return *(unsigned char *)(long)ctx->data; }\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
    const build = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, "-c", join(dir, "unchecked.c"), "-o", join(dir, "unchecked.o")], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const result = run(["kernel-check", join(dir, "unchecked.o"), "--packets", "5"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^REJECTED: the kernel verifier refuses program 'unchecked'/);
    expect(result.stdout).toContain("invalid access to packet");
  });
});
