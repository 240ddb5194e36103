import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCaptureFile } from "../../src/traffic/capture/capture-reader.ts";

const dir = mkdtempSync(join(tmpdir(), "offload-sim-traffic-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = join(import.meta.dirname, "../../bin/offload-sim.js");

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("offload-sim traffic", () => {
  it("gen writes the asked packets to a pcap, show prints them decoded", () => {
    const path = join(dir, "gen.pcap");
    const gen = run("traffic", "gen", "udp flows=4 size=64 rate=10G", "--packets", "25", "--seed", "3", "-o", path);
    expect(gen.stderr).toBe("");
    expect(gen.status).toBe(0);
    expect(gen.stdout).toMatch(/^wrote 25 packets /);
    const { format, packets } = readCaptureFile(path);
    expect(format).toBe("pcap");
    expect(packets).toHaveLength(25);
    const show = run("traffic", "show", path, "--limit", "2");
    expect(show.status).toBe(0);
    const lines = show.stdout.trim().split("\n");
    expect(lines[0]).toBe("# pcap 2.4, little-endian, nanosecond timestamps, snaplen 262144, ETHERNET");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^2 0\.000000067 60 bytes Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 \/ IPv4 198\.18\.\S+ > 198\.19\.\S+ ttl 64 \/ UDP \d+ > \d+ len 26 \/ payload 18 bytes$/);
  });

  it("gen --pcapng writes pcapng; the same seed writes the same packets", () => {
    const a = join(dir, "a.pcapng");
    const b = join(dir, "b.pcap");
    expect(run("traffic", "gen", "tcp size=imix count=30 seed=9", "--pcapng", "-o", a).status).toBe(0);
    expect(run("traffic", "gen", "tcp size=imix count=30", "--seed", "9", "-o", b).status).toBe(0);
    const fromNg = readCaptureFile(a);
    expect(fromNg.format).toBe("pcapng");
    expect(fromNg.packets.map((p) => Buffer.from(p.data).toString("hex"))).toEqual(readCaptureFile(b).packets.map((p) => Buffer.from(p.data).toString("hex")));
  });

  it("turns a bad spec or a bad capture into one sentence and exit status 2", () => {
    const bad = run("traffic", "gen", "udp size=12", "-o", join(dir, "never.pcap"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('offload-sim: traffic spec: "size=12": expected a frame size in bytes (FCS included) from 64 to 9216, a range like 64..1500, or imix.\n');
    expect(existsSync(join(dir, "never.pcap"))).toBe(false);

    const whole = readFileSync(join(dir, "gen.pcap"));
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const show = run("traffic", "show", cut);
    expect(show.status).toBe(2);
    expect(show.stderr).toBe(`offload-sim: ${cut}: packet record 24 is cut short: 60 captured bytes announced, 50 present (at byte offset ${24 + 24 * (16 + 60)}).\n`);
  });

  it("show --partial prints the packets before the damage, then the error", () => {
    const cut = join(dir, "cut.pcap");
    const show = run("traffic", "show", cut, "--partial");
    expect(show.status).toBe(2);
    const lines = show.stdout.trim().split("\n");
    expect(lines).toHaveLength(1 + 24 + 1);
    expect(lines.at(-1)).toBe("# 24 packets read before the error");
    expect(show.stderr).toMatch(/packet record 24 is cut short/);
  });
});
