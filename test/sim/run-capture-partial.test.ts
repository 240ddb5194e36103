// `run --partial` on a capture that is cut short: without the flag the run
// stops with one sentence naming the file, the byte offset and the flag (exit
// 2); with it, the packets before the break are run and checked, and a note
// on stderr says how many.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodePcap, eth } from "../../src/traffic/index.ts";
import { equivalenceCounts, offloadSimInProcess } from "./cli-in-process.ts";

const bin = new URL("../../bin/offload-sim.js", import.meta.url).pathname;
const macSwap = new URL("../../programs/xdp_mac_swap.o", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Eight 60-byte frames; the file is cut 8 bytes into record 5's 16-byte header.
// pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then per record a 16-byte header and the frame.
const FRAMES = 8;
const WHOLE_RECORDS = 5;
const CUT_AT = 24 + WHOLE_RECORDS * (16 + 60) + 8;
const frame = (i: number): Uint8Array => eth({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).ipv4({ src: `192.0.2.${i + 1}`, dst: "198.51.100.1" }).udp({ srcPort: 1000 + i, dstPort: 53 }).payload(18).build();

function cutCapture(): string {
  const file = join(dir, "cut.pcap");
  const whole = encodePcap(Array.from({ length: FRAMES }, (_, i) => ({ timestampNs: BigInt(i) * 1_000n, data: frame(i) })));
  expect(whole.length).toBe(24 + FRAMES * (16 + 60));
  writeFileSync(file, whole.subarray(0, CUT_AT));
  return file;
}

describe("run on a capture that is cut short", () => {
  it("without --partial: one sentence with the file, the offset of the broken record and the flag, exit 2", () => {
    const file = cutCapture();
    const r = spawnSync(process.execPath, [bin, "run", macSwap, "--cores", "2", "--pcap", file], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`cut.pcap: `);
    expect(r.stderr).toContain(`(at byte offset ${CUT_AT - 8})`);
    expect(r.stderr).toContain(`--partial uses the ${WHOLE_RECORDS} packets before it.`);
  });

  it("with --partial: runs and checks the five whole packets, and says so on stderr", async () => {
    const file = cutCapture();
    const r = await offloadSimInProcess(["run", macSwap, "--cores", "2", "--pcap", file, "--partial"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`cut\\.pcap: .*\\(at byte offset ${CUT_AT - 8}\\); --partial: using the ${WHOLE_RECORDS} packets before it\\.\\n$`));
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1);
    expect(equivalenceCounts(r.stdout)).toMatchObject({ compared: WHOLE_RECORDS, identical: WHOLE_RECORDS });
    expect(r.stdout).toMatch(/^Actions +XDP_TX 5$/m);
  });
});
