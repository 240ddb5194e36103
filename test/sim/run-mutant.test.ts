// A code-generator bug in the NIC part of a partly offloaded program is caught:
// the state the card hands the host part is wrong, so the host part counts in
// the wrong place, and `run` reports the final maps as different (exit 1).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const bin = new URL("../../bin/offload-sim.js", import.meta.url).pathname;
const protoCount = new URL("../../programs/xdp_proto_count.o", import.meta.url).pathname;

// A u64 as the little-endian hex the map lines print.
const u64Hex = (n: number): string => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(n));
  return bytes.toString("hex");
};

describe("a mutant in a partly offloaded program", () => {
  it("mov-wrong-register-bank in xdp_proto_count's NIC part: the maps differ, exit 1", () => {
    // The offload compiler's test-only fault injection, switched on in the child process only (src/offload/mutants.ts).
    const r = spawnSync(process.execPath, [bin, "run", protoCount, "--cores", "2", "--traffic", "udp flows=20 size=64", "--packets", "100"], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, OFFLOAD_SIM_MUTANT: "mov-wrong-register-bank" },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Offload +partly offloaded/m);
    expect(r.stdout).toMatch(/^Equivalence MISMATCH: .*final maps differ \(proto_stats\)/m);
    // By hand: 100 UDP datagrams of 64-byte frames (60 bytes without the FCS) land in slot 17 (IPPROTO_UDP) on the host:
    // packets 100, bytes 6,000. The mutant corrupts a register move in the NIC part, so the card's run counts them elsewhere.
    const line = r.stdout.split("\n").find((l) => l.trim().startsWith("key 11000000:"));
    expect(line).toBeDefined();
    expect(line).toContain(`host cpu0=${u64Hex(100)}${u64Hex(6_000)}`);
    expect(line).not.toMatch(new RegExp(`NIC cpu0=${u64Hex(100)}${u64Hex(6_000)}`));
  });
});
