// The offered rate of a run on a tiny capture, replayed back to back at the line
// rate: a rate needs two arrival times, so one packet, or as many packets as the
// card has ports (one per port, arriving together), have none and the report says
// so; a third packet gives one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodePcap, eth } from "../../src/traffic/index.ts";
import { offloadSimInProcess } from "./cli-in-process.ts";

const macSwap = new URL("../../programs/xdp_mac_swap.o", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-offered-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 14 (Ethernet) + 20 (IPv4) + 8 (UDP) + 3,478 payload bytes: a 3,520-byte frame.
const FRAME_BYTES = 3520;
const frame = (i: number): Uint8Array => eth({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).ipv4({ src: `192.0.2.${i + 1}`, dst: "198.51.100.1" }).udp({ srcPort: 1000 + i, dstPort: 53 }).payload(FRAME_BYTES - 42).build();
// nfp-4000: two 25 Gb/s ports (the run prints "back to back at 2 × 25 Gb/s").
const PORT_RATE_BPS = 25e9;
// IEEE 802.3 wire time of one frame: frame + 4 (FCS) + 8 (preamble, SFD) + 12 (gap) bytes.
const frameWireNs = ((FRAME_BYTES + 4 + 8 + 12) * 8 * 1e9) / PORT_RATE_BPS;

async function runOn(packets: number): Promise<{ terminal: string; markdown: string; offeredMpps: unknown; version: unknown }> {
  const capture = join(dir, `${packets}.pcap`);
  writeFileSync(capture, encodePcap(Array.from({ length: packets }, (_, i) => ({ timestampNs: BigInt(i) * 1_000n, data: frame(i) }))));
  const json = join(dir, `${packets}.json`);
  const md = join(dir, `${packets}.md`);
  const out = await offloadSimInProcess(["run", macSwap, "--cores", "2", "--pcap", capture, "--json", json, "--md", md]);
  expect(out.status, out.stderr).toBe(0);
  const report = JSON.parse(readFileSync(json, "utf8")) as { version: unknown; run: { simulation: { offeredMpps: unknown } } };
  return { terminal: out.stdout, markdown: readFileSync(md, "utf8"), offeredMpps: report.run.simulation.offeredMpps, version: report.version };
}

describe("the offered rate of a few packets at the line rate", () => {
  it("is undefined for two 3,520-byte frames, which arrive together on the two ports: null, and the report says why", async () => {
    const r = await runOn(2);
    expect(r.offeredMpps).toBeNull();
    expect(r.version).toBe(2);
    expect(r.terminal).toContain("back to back at 2 × 25 Gb/s (offered rate undefined: both packets arrive at the same instant)");
    expect(r.terminal).not.toContain("0.000 Mpps");
    expect(r.markdown).toContain("offered rate undefined: both packets arrive at the same instant.");
  });

  it("is undefined for a single packet", async () => {
    const r = await runOn(1);
    expect(r.offeredMpps).toBeNull();
    expect(r.terminal).toContain("(offered rate undefined for a single packet)");
  });

  it("is one frame's wire time per two packets for three frames: 2 / 1,134.08 ns = 1.764 Mpps", async () => {
    // Frames 0 and 1 arrive together, frame 2 one wire time later on the first port again.
    const expectedMpps = 2 / frameWireNs / 1e-3;
    expect(expectedMpps).toBeCloseTo(1.7635, 4);
    const r = await runOn(3);
    expect(r.offeredMpps).toBeCloseTo(expectedMpps, 6);
    expect(r.terminal).toContain("(offered 1.764 Mpps)");
  });
});
