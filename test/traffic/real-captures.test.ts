// Captures written by tcpdump and dumpcap, and hand-built ones (fixtures/README.md), read
// and turned into the frames XDP sees; then through the commands that run programs on them.
// Expected lengths, times and bytes come from tshark 4.0.17 reading the same files, from
// the other captures of the same packets, and from the format definitions.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CapturedPacket } from "../../src/traffic/captured-packet.ts";
import { readCaptureFile } from "../../src/traffic/capture/capture-reader.ts";
import { xdpFrames } from "../../src/traffic/xdp-frames.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const fixture = (name: string): string => join(import.meta.dirname, "fixtures", name);
const root = join(import.meta.dirname, "../..");
const cli = join(root, "bin/offload-sim.js");
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
// make-fixtures.py's IPv4/UDP packet (10.7.0.2:40000 > 10.7.0.1:53, 18 payload bytes), from any-sll-s96.pcap packet 2.
const UDP = "4500002e00010000401166ae0a0700020a0700019c400035001a06e3000102030405060708090a0b0c0d0e0f1011";

function framesOf(name: string): { packets: CapturedPacket[]; frames: Uint8Array[]; notes: string[] } {
  const { packets } = readCaptureFile(fixture(name));
  const converter = xdpFrames(name);
  const frames = packets.map((packet) => converter.frameOf(packet)).filter((frame) => frame !== undefined);
  return { packets, frames, notes: converter.notes() };
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: root });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// tshark's frame.len for the 15 packets of any-sll-s96.pcap (SLL2 adds 4 to each).
const SLL_WIRE_LENGTHS = [64, 62, 90, 344, 372, 1044, 592, 264, 312, 344, 372, 344, 372, 564, 612];
const SLL_HEADER_BYTES = 16;
const ETHERNET_HEADER_BYTES = 14;

describe("Linux cooked captures (tcpdump -i any)", () => {
  it("give frames as long as on the wire: tshark's length - the 16-byte SLL header + 14", () => {
    const { packets, frames } = framesOf("any-sll-s96.pcap");
    expect(packets.map((p) => p.originalLength)).toEqual(SLL_WIRE_LENGTHS);
    expect(frames.map((f) => f.length)).toEqual(SLL_WIRE_LENGTHS.map((length) => length - SLL_HEADER_BYTES + ETHERNET_HEADER_BYTES));
  });

  it("SLL and SLL2 recordings of the same packets give the same frames, up to SLL2's 4 fewer captured bytes under -s 96", () => {
    const sll = framesOf("any-sll-s96.pcap").frames;
    const sll2 = framesOf("any-sll2-s96.pcap").frames;
    // 96 captured bytes - the 20-byte SLL2 header + 14.
    const capturedEnd = 90;
    expect(sll2.map((f) => f.length)).toEqual(sll.map((f) => f.length));
    expect(sll2.map((f) => toHex(f.subarray(0, capturedEnd)))).toEqual(sll.map((f) => toHex(f.subarray(0, capturedEnd))));
    for (const frame of sll2) expect(frame.subarray(capturedEnd).every((byte) => byte === 0)).toBe(true);
  });

  it("give the frame dumpcap saw on lo for the same UDP datagram, but for the made-up destination MAC and the zeros after the snapshot", () => {
    // any-sll-s96.pcap packet 10 is the first datagram to 127.0.0.1:9 leaving lo (packet type 4, ARPHRD_LOOPBACK, address 00:..:00);
    // lo-and-any.pcapng's first packet on interface 0 (lo, Ethernet) is the same datagram: 342 bytes.
    const frame = framesOf("any-sll-s96.pcap").frames[9];
    const onLo = readCaptureFile(fixture("lo-and-any.pcapng")).packets.filter((p) => p.interfaceId === 0)[0];
    expect(onLo.data.length).toBe(342);
    expect(frame.length).toBe(342);
    expect(toHex(frame.subarray(0, 6))).toBe("020000000002");
    const capturedEnd = ETHERNET_HEADER_BYTES + 96 - SLL_HEADER_BYTES;
    expect(toHex(frame.subarray(6, capturedEnd))).toBe(toHex(onLo.data.subarray(6, capturedEnd)));
    expect(frame.subarray(capturedEnd).every((byte) => byte === 0)).toBe(true);
  });

  it("address the router solicitation to ff02::2's group MAC 33:33:00:00:00:02, from the fixed source (tun0 has no MAC)", () => {
    const frame = framesOf("any-sll-s96.pcap").frames[0];
    expect(toHex(frame.subarray(0, 14))).toBe("333300000002" + "020000000001" + "86dd");
  });

  it("say once what was changed: the conversion, and the 12 cut packets with the bytes added (5584 on the wire - 12 x 96 captured = 4432)", () => {
    expect(framesOf("any-sll2-s96.pcap").notes).toEqual([
      "any-sll2-s96.pcap: 15 packets of link type LINUX_SLL2 were given an Ethernet header (XDP programs see Ethernet frames): the type from the capture, source MAC the recorded sender's or 02:00:00:00:00:01, destination 02:00:00:00:00:02 (broadcast and IP multicast: their group MAC).",
      "any-sll2-s96.pcap: 12 packets cut short by the capture's snapshot length were padded with zero bytes to their length on the wire (4432 bytes added).",
    ]);
  });
});

describe("raw IP and BSD loopback captures", () => {
  it("carry the same IP packets as the cooked capture they were made from, after an Ethernet header of their IP version", () => {
    const sll = framesOf("any-sll-s96.pcap").frames;
    for (const name of ["raw-ip.pcap", "null-be-ns.pcap", "loop.pcap"]) {
      const { frames } = framesOf(name);
      expect(frames.map((f) => toHex(f.subarray(12))), name).toEqual(sll.map((f) => toHex(f.subarray(12))));
    }
  });

  it("read the big-endian nanosecond file's times to the nanosecond (tshark: 1795632356.787295007 s first)", () => {
    const { packets } = readCaptureFile(fixture("null-be-ns.pcap"));
    expect(packets[0].timestampNs).toBe(1_795_632_356_787_295_007n);
    expect(packets[14].timestampNs).toBe(1_795_632_360_229_072_007n);
    expect(readCaptureFile(fixture("raw-ip.pcap")).packets[0].timestampNs).toBe(1_795_632_356_787_295_000n);
  });
});

describe("pcapng from dumpcap and by hand", () => {
  it("lo-and-any.pcapng: two interfaces of two link types, statistics blocks skipped (capinfos: 6 Ethernet, 15 SLL; first at .787295883)", () => {
    const { packets } = readCaptureFile(fixture("lo-and-any.pcapng"));
    expect(packets).toHaveLength(21);
    expect(packets.filter((p) => p.linkType === 1 && p.interfaceId === 0)).toHaveLength(6);
    expect(packets.filter((p) => p.linkType === 113 && p.interfaceId === 1)).toHaveLength(15);
    expect(packets[0].timestampNs).toBe(1_795_632_356_787_295_883n);
    const { frames, notes } = framesOf("lo-and-any.pcapng");
    expect(frames).toHaveLength(21);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^lo-and-any\.pcapng: 15 packets of link type LINUX_SLL were given an Ethernet header/);
  });

  // make-fixtures.py: section 0 little-endian (eth0: Ethernet, 2^-20 s units; any: SLL, 10^-3 s units), with a
  // name-resolution, a statistics and a custom block; section 1 big-endian (IPV4 and IPV6 interfaces, microseconds).

  it("mixed.pcapng: times in each interface's units, link types and sections, as tshark reads them", () => {
    const { packets } = readCaptureFile(fixture("mixed.pcapng"));
    expect(packets.map((p) => [p.sectionIndex, p.interfaceId, p.linkType])).toEqual([
      [0, 0, 1],
      [0, 0, 1],
      [0, 1, 113],
      [1, 1, 229],
      [1, 0, 228],
      [1, 0, 228],
    ]);
    // 3.5 s and 4 s in 2^-20 s units, 5.25 s in ms, 6 s and 7.000001 s in µs; the Simple Packet Block repeats the last time.
    expect(packets.map((p) => p.timestampNs)).toEqual([3_500_000_000n, 4_000_000_000n, 5_250_000_000n, 6_000_000_000n, 6_000_000_000n, 7_000_001_000n]);
    expect(packets.map((p) => [p.data.length, p.originalLength])).toEqual([
      [64, 64],
      [68, 68],
      [40, 66],
      [48, 48],
      [46, 46],
      [46, 46],
    ]);
  });

  it("mixed.pcapng: 802.1Q and QinQ frames reach the program unchanged; the SLL packet's VLAN tag follows the MACs", () => {
    const { frames } = framesOf("mixed.pcapng");
    expect(toHex(frames[0])).toBe(`02000000000b02000000000a` + `8100` + `2064` + `0800` + UDP);
    expect(toHex(frames[1])).toBe(`02000000000b02000000000a` + `88a8` + `00c8` + `8100` + `0064` + `0800` + UDP);
    // 24 captured bytes after the 16-byte header, padded to 66 - 16: the sender 02:00:00:00:00:0c, tag 0x0007.
    const sll = `020000000002` + `02000000000c` + `8100` + `0007` + `0800` + UDP.slice(0, 2 * (40 - 20));
    expect(toHex(frames[2])).toBe(sll.padEnd(2 * (14 + 66 - 16), "0"));
    expect(toHex(frames[3].subarray(0, 14))).toBe("333300000002" + "020000000001" + "86dd");
    expect(toHex(frames[4])).toBe("020000000002" + "020000000001" + "0800" + UDP);
    expect(toHex(frames[5])).toBe(toHex(frames[4]));
  });
});

describe("link types that are not Ethernet underneath", () => {
  it("are refused in one sentence naming the file, the packet and the link type", () => {
    expect(() => framesOf("wifi.pcap")).toThrow(
      "wifi.pcap: packet 1 has link type IEEE802_11 (105), which offload-sim cannot turn into the Ethernet frame an XDP program sees (it converts ETHERNET, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP).",
    );
  });
});

describe("the commands on real captures", () => {
  const sll2 = "test/traffic/fixtures/any-sll2-s96.pcap";
  const notes = [
    `offload-sim: ${sll2}: 15 packets of link type LINUX_SLL2 were given an Ethernet header`,
    `offload-sim: ${sll2}: 12 packets cut short by the capture's snapshot length were padded with zero bytes to their length on the wire (4432 bytes added).`,
  ];

  // xdp_firewall's blocklist key (programs/xdp_firewall.c struct flow_key): family 4, protocol 17, ports
  // 40000 > 53 in network order, 2 pad bytes, source 10.7.0.2 and destination 10.7.0.1 in 16-byte fields.
  // Of the capture's packets only packet 2 is that datagram (tshark: 10.7.0.2:40000 > 10.7.0.1:53, 18 bytes).
  const dir = mkdtempSync(join(tmpdir(), "offload-sim-real-captures-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const blocklist = join(dir, "blocklist.json");
  const key = "04" + "11" + "9c40" + "0035" + "0000" + "0a070002" + "00".repeat(12) + "0a070001" + "00".repeat(12);
  writeFileSync(blocklist, JSON.stringify({ entries: [{ key, value: "00".repeat(8) }] }));

  it("run replays every packet as a frame the program parses (the blocked datagram is dropped) and says each change once on stderr", () => {
    const result = run("run", "programs/xdp_firewall.o", "--cores", "8", "--pcap", sll2, "--map", `blocklist=${blocklist}`);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Traffic +15 packets, capture/);
    expect(result.stdout).toMatch(/Actions +XDP_PASS 14, XDP_DROP 1\n/);
    expect(result.stdout).toMatch(/Equivalence 15\/15 packets identical/);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("offload-sim:"));
    expect(lines).toHaveLength(2);
    expect(lines[0].startsWith(notes[0])).toBe(true);
    expect(lines[1]).toBe(notes[1]);
  }, 60_000);

  it("run refuses an 802.11 capture with exit status 2 and one sentence", () => {
    const result = run("run", "programs/xdp_firewall.o", "--cores", "8", "--pcap", "test/traffic/fixtures/wifi.pcap");
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "offload-sim: test/traffic/fixtures/wifi.pcap: packet 1 has link type IEEE802_11 (105), which offload-sim cannot turn into the Ethernet frame an XDP program sees (it converts ETHERNET, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP).",
    ]);
  }, 60_000);

  it("exec gives xdp_vlan the 802.1Q frame as captured: its rule 100 -> 0 pops the tag (programs/README.md)", () => {
    const result = run("exec", "programs/xdp_vlan.o", "--packet", "test/traffic/fixtures/mixed.pcapng", "--map", "vlan_xlate=programs/maps/xdp_vlan.vlan_xlate.json", "--json");
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout) as { actionName: string; packet: string };
    expect(report.actionName).toBe("XDP_PASS");
    expect(report.packet).toBe(`02000000000b02000000000a` + `0800` + UDP);
  }, 60_000);

  it("exec takes a capture's first packet as its frame and says what it did to it: loop.pcap's 52 bytes (tshark) - 4 + 14", () => {
    const result = run("exec", "programs/xdp_firewall.o", "--packet", "test/traffic/fixtures/loop.pcap", "--json");
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { packetLength: number }).packetLength).toBe(62);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^offload-sim: test\/traffic\/fixtures\/loop\.pcap: 1 packet of link type LOOP was given an Ethernet header/);
  }, 60_000);

  it.skipIf(!kernelAvailable)("kernel-check runs the converted frames in the kernel and the interpreter alike", () => {
    const result = run("kernel-check", "programs/xdp_firewall.o", "--pcap", sll2, "--map", `blocklist=${blocklist}`);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^AGREE: .* 15 of 15 packets agree \(XDP_DROP 1, XDP_PASS 14\)/);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("offload-sim:"));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(notes[1]);
  }, 60_000);
});
