// `offload-sim run` on partly offloadable programs: the NIC part runs on the
// timing model, the rest on the host stage (behind the PCIe hop), and the
// summary names each instruction left on the host with its reason and the
// share of packets that went there. Expectations come from llvm-objdump, the
// programs' C sources and map files, and the packets themselves.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTraffic } from "../../src/traffic/index.ts";
import { equivalenceCounts, offloadSimInProcess } from "./cli-in-process.ts";
import { vipFrame, writeCapture } from "./sample-traffic.ts";

const program = (name: string): string => new URL(`../../programs/${name}.o`, import.meta.url).pathname;
const mapFile = (name: string): string => new URL(`../../programs/maps/${name}.json`, import.meta.url).pathname;
const randomSplit = new URL("./fixtures/random_split.o", import.meta.url).pathname;
const hostPartContext = new URL("./fixtures/host_part_context.o", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-partial-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (text: string): number => Number(text.replace(/,/g, ""));
const actions = (stdout: string): Record<string, number> =>
  Object.fromEntries(/^Actions +(.*)$/m.exec(stdout)![1].split(", ").map((part) => part.split(" ")).map(([action, n]) => [action, count(n)]));
const hostShare = (stdout: string): { packets: number; offered: number } => {
  const m = /; ([\d,]+) of the ([\d,]+) packets offered \([\d.]+ %\) went there in the simulation/.exec(stdout)!;
  return { packets: count(m[1]), offered: count(m[2]) };
};

function expectAllIdentical(stdout: string, packets: number): void {
  const counts = equivalenceCounts(stdout);
  expect(counts?.line, stdout).toMatch(/packets identical, final maps identical$/);
  expect(counts).toMatchObject({ compared: packets, identical: packets });
}

describe("a partly offloadable program", () => {
  it("xdp_proto_count: names the three instructions left on the host and why; every packet goes there", async () => {
    const r = await offloadSimInProcess(["run", program("xdp_proto_count"), "--cores", "8", "--traffic", "mix=udp:1,tcp:1 flows=16 rate=1G", "--packets", "200"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Offload +partly offloaded: 1 stage on the NIC, the rest on the host/m);
    // llvm-objdump -d programs/xdp_proto_count.o: "27: call 1" (bpf_map_lookup_elem on the per-CPU array proto_stats),
    // "31: *(u64 *)(r0 + 0) = r1" and "35: *(u64 *)(r0 + 8) = r6" (stats->packets, stats->bytes).
    const because = r.stdout.split("\n").filter((line) => /^ {12}because /.test(line));
    expect(because).toHaveLength(3);
    expect(because[0]).toMatch(/because pc 27: map 'proto_stats': map type percpu_array is not offloadable/);
    expect(because[1]).toMatch(/because pc 31: it stores into a value of map 'proto_stats'/);
    expect(because[2]).toMatch(/because pc 35: it stores into a value of map 'proto_stats'/);
    // xdp_proto_count.c counts every frame, so every one reaches the lookup, which is on the host.
    expect(hostShare(r.stdout)).toEqual({ packets: 200, offered: 200 });
    expect(r.stdout).toContain("200 of the 200 packets offered (100.0 %) went there");
    expect(actions(r.stdout)).toEqual({ XDP_PASS: 200 });
    expectAllIdentical(r.stdout, 200);
  });

  it("xdp_syn_limit: only TCP SYNs (SYN set, ACK clear) over IPv4 reach the host part", async () => {
    const spec = "tcp flows=20 synflood=0.5 rate=1G";
    const packets = 300;
    // xdp_syn_limit.c: an untagged IPv4 TCP segment with SYN and not ACK goes on to bpf_ktime_get_ns (the host part).
    let syns = 0;
    for (const { data } of generateTraffic(spec, { packets, seed: 1 })) {
      if (data.length < 34 || data[12] !== 0x08 || data[13] !== 0x00 || data[23] !== 6) continue;
      const tcp = 14 + (data[14] & 0x0f) * 4;
      if (data.length >= tcp + 20 && (data[tcp + 13] & 0x02) !== 0 && (data[tcp + 13] & 0x10) === 0) syns++;
    }
    expect(syns).toBeGreaterThan(0);
    const r = await offloadSimInProcess(["run", program("xdp_syn_limit"), "--cores", "8", "--traffic", spec, "--packets", String(packets), "--map", `syn_buckets=${mapFile("xdp_syn_limit.syn_buckets")}`]);
    expect(r.status).toBe(0);
    // llvm-objdump: "38: call 5" is bpf_ktime_get_ns, which the card does not offer.
    expect(r.stdout).toMatch(/^ {12}because pc 38: it calls bpf_ktime_get_ns, which the card does not offer$/m);
    expect(hostShare(r.stdout)).toEqual({ packets: syns, offered: packets });
    expectAllIdentical(r.stdout, packets);
  });

  it("xdp_l4_lb: frames to a virtual IP go to the host part, which finds their backend and drops or encapsulates them", async () => {
    const capture = join(dir, "vips.pcap");
    const frames = [...generateTraffic("udp flows=10", { packets: 50 })].map((p) => p.data);
    for (let n = 0; n < 12; n++) frames.push(vipFrame(n));
    writeCapture(capture, frames);
    const maps = ["vips", "ch_ring", "backends", "lb_config"].flatMap((m) => ["--map", `${m}=${mapFile(`xdp_l4_lb.${m}`)}`]);
    const r = await offloadSimInProcess(["run", program("xdp_l4_lb"), "--cores", "4", "--pcap", capture, ...maps]);
    expect(r.status).toBe(0);
    // The 12 frames to a virtual IP reach the backend lookup (pc 137, keyed by the ring's map value) and move to the host
    // there; the ring lookup before it runs on the card, and the host resumes with the ring value the card's handle
    // stands for (src/offload/host-cuts.ts).
    expect(r.stdout).toMatch(/because pc 137: its key \(r2\) points at map value/);
    expect(hostShare(r.stdout)).toEqual({ packets: 12, offered: 62 });
    // The generated frames go to 198.19.x.x, no virtual IP: XDP_PASS. Ring row 2 (10.0.0.101:80, every third VIP frame)
    // names backend 5, which backends.json leaves at address 0: XDP_DROP; the other 8 are encapsulated: XDP_TX.
    expect(actions(r.stdout)).toEqual({ XDP_PASS: 50, XDP_TX: 8, XDP_DROP: 4 });
    expectAllIdentical(r.stdout, 62);
  });

  it("continues the card's random stream on the host: one stream over all packets, as on the host", async () => {
    // fixtures/random_split.c draws on the card (pc 0), then on the host (pc 13) after the per-CPU array lookup;
    // the verdict is DROP when the two draws differ in their lowest bit. Packet i draws numbers 2i+1 and 2i+2 of
    // Marsaglia's xorshift32 (shifts 13, 17, 5) from seed 1, worked out here.
    let state = 1;
    const next = (): number => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>>= 0);
    };
    const packets = 200;
    let drops = 0;
    for (let i = 0; i < packets; i++) drops += (next() ^ next()) & 1;
    const r = await offloadSimInProcess(["run", randomSplit, "--cores", "4", "--traffic", "udp rate=1G", "--packets", String(packets), "--seed", "1"]);
    expect(r.status).toBe(0);
    expect(hostShare(r.stdout)).toEqual({ packets, offered: packets });
    expect(actions(r.stdout)).toEqual({ XDP_DROP: drops, XDP_PASS: packets - drops });
    expectAllIdentical(r.stdout, packets);
  });
  it("the host part sees the port the packet came in on, and its events count as the card's", async () => {
    // host_part_context.c: from its clock read on (pc 1), the host reports ctx->ingress_ifindex in a ring buffer
    // record and a trace_printk line, and drops what came in on port 0 (ifindex 2): packets alternate over the two ports.
    const r = await offloadSimInProcess(["run", hostPartContext, "--cores", "8", "--traffic", "udp flows=10 rate=1G", "--packets", "200"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/because pc 1: it calls bpf_ktime_get_ns/);
    expect(actions(r.stdout)).toEqual({ XDP_DROP: 100, XDP_PASS: 100 });
    expectAllIdentical(r.stdout, 200);
  });
});
