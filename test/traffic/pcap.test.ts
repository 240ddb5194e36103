import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openCaptureBuffer, readCaptureBuffer } from "../../src/traffic/capture/capture-reader.ts";
import { encodePcap, type PcapWriterOptions } from "../../src/traffic/capture/pcap-writer.ts";
import { PcapError } from "../../src/traffic/errors.ts";
import { LinkType } from "../../src/traffic/link-type.ts";
import { hex, toHex } from "./reference-checksum.ts";

// A file laid out by hand from draft-ietf-opsawg-pcap: big-endian, microseconds, snaplen 65535, Ethernet,
// then one record: 1 s + 500000 us, 4 bytes captured of a 60-byte packet.
const HAND_MADE_BIG_ENDIAN = hex(`
  a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001
  00000001 0007a120 00000004 0000003c  de ad be ef`);

const packetsArbitrary = fc.array(
  fc.record({
    // Within the 32 bits of seconds a pcap record holds.
    timestampNs: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n + 999_999_999n }),
    data: fc.uint8Array({ maxLength: 300 }),
    extra: fc.nat({ max: 2000 }),
  }),
  { maxLength: 20 },
);

describe("pcap", () => {
  it("reads a hand-made big-endian microsecond file", () => {
    const { format, packets } = readCaptureBuffer(HAND_MADE_BIG_ENDIAN);
    expect(format).toBe("pcap");
    expect(packets).toHaveLength(1);
    expect(packets[0].timestampNs).toBe(1_500_000_000n);
    expect(toHex(packets[0].data)).toBe("de ad be ef");
    expect(packets[0].originalLength).toBe(60);
    expect(packets[0].linkType).toBe(LinkType.ETHERNET);
  });

  it("reports the file header's byte order, resolution, snaplen and link type", () => {
    const reader = openCaptureBuffer(HAND_MADE_BIG_ENDIAN);
    expect(reader.pcapHeader).toEqual({ byteOrder: "big", resolution: "micro", versionMajor: 2, versionMinor: 4, snaplen: 0xffff, linkType: 1 });
    reader.close();
  });

  it("writes the same bytes as the hand-made file", () => {
    const written = encodePcap([{ timestampNs: 1_500_000_000n, data: hex("deadbeef"), originalLength: 60 }], {
      byteOrder: "big",
      resolution: "micro",
      snaplen: 0xffff,
    });
    expect(toHex(written)).toBe(toHex(HAND_MADE_BIG_ENDIAN));
  });

  it("starts little-endian nanosecond files with the magic bytes 4d 3c b2 a1", () => {
    expect(toHex(encodePcap([], { byteOrder: "little", resolution: "nano" }).subarray(0, 4))).toBe("4d 3c b2 a1");
  });

  for (const byteOrder of ["little", "big"] as const) {
    for (const resolution of ["micro", "nano"] as const) {
      it(`round-trips packets, ${byteOrder}-endian with ${resolution}second timestamps`, () => {
        fc.assert(
          fc.property(packetsArbitrary, fc.integer({ min: 1, max: 400 }), (drawn, snaplen) => {
            const options: PcapWriterOptions = { byteOrder, resolution, snaplen, linkType: LinkType.RAW };
            const packets = drawn.map((p) => ({ timestampNs: p.timestampNs, data: p.data, originalLength: p.data.length + p.extra }));
            const { packets: read, error } = readCaptureBuffer(encodePcap(packets, options));
            expect(error).toBeUndefined();
            expect(read).toHaveLength(packets.length);
            read.forEach((got, i) => {
              const sent = packets[i];
              const keptNs = resolution === "micro" ? sent.timestampNs - (sent.timestampNs % 1000n) : sent.timestampNs;
              expect(got.timestampNs).toBe(keptNs);
              expect([...got.data]).toEqual([...sent.data.subarray(0, snaplen)]);
              expect(got.originalLength).toBe(sent.originalLength);
              expect(got.linkType).toBe(LinkType.RAW);
            });
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it("keeps both lengths of a packet the capture cut short", () => {
    const file = encodePcap([{ timestampNs: 0n, data: new Uint8Array(200) }], { snaplen: 64 });
    const [packet] = readCaptureBuffer(file).packets;
    expect(packet.data.length).toBe(64);
    expect(packet.originalLength).toBe(200);
  });

  describe("errors", () => {
    const twoPackets = encodePcap([
      { timestampNs: 1n, data: new Uint8Array(10) },
      { timestampNs: 2n, data: new Uint8Array(10) },
    ]);

    it("names the file, the offset and what was cut short", () => {
      const cut = twoPackets.subarray(0, twoPackets.length - 3);
      expect(() => readCaptureBuffer(cut, { name: "cut.pcap" })).toThrow(
        "cut.pcap: packet record 1 is cut short: 10 captured bytes announced, 7 present (at byte offset 50).",
      );
    });

    it("reports a header cut inside the record header", () => {
      const cut = twoPackets.subarray(0, 24 + 26 + 5);
      expect(() => readCaptureBuffer(cut, { name: "x" })).toThrow("x: packet record 1's header is cut short: 16 bytes expected, 5 present (at byte offset 50).");
    });

    it("returns the packets before the damage, and the error, when partial", () => {
      const { packets, error } = readCaptureBuffer(twoPackets.subarray(0, twoPackets.length - 1), { partial: true, name: "p" });
      expect(packets).toHaveLength(1);
      expect(error).toBeInstanceOf(PcapError);
      expect(error?.offset).toBe(50);
    });

    it("refuses a captured length above the original length or the 256 KiB maximum", () => {
      const corrupt = twoPackets.slice();
      new DataView(corrupt.buffer).setUint32(24 + 8, 11, true);
      expect(() => readCaptureBuffer(corrupt, { name: "c" })).toThrow("c: packet record 0 claims 11 captured bytes of a 10-byte packet (at byte offset 24).");
      new DataView(corrupt.buffer).setUint32(24 + 8, 0x7fffffff, true);
      expect(() => readCaptureBuffer(corrupt, { name: "c" })).toThrow(/more than the 262144-byte maximum/);
    });

    it("refuses a file that is no capture, or a version it does not know", () => {
      expect(() => readCaptureBuffer(new TextEncoder().encode("hello world"), { name: "t.txt" })).toThrow(
        "t.txt: not a pcap or pcapng capture: it starts with bytes 68 65 6c 6c (at byte offset 0).",
      );
      expect(() => readCaptureBuffer(new Uint8Array(2), { name: "e" })).toThrow(/too short for a pcap or pcapng header/);
      const version3 = twoPackets.slice();
      version3[4] = 3;
      expect(() => readCaptureBuffer(version3, { name: "v" })).toThrow(/unsupported pcap version 3\.4/);
      expect(() => readCaptureBuffer(twoPackets.subarray(0, 20), { name: "h" })).toThrow(/file header is cut short/);
    });

    it("gives zero packets and the error for a damaged header when partial", () => {
      const { packets, error } = readCaptureBuffer(twoPackets.subarray(0, 10), { partial: true });
      expect(packets).toEqual([]);
      expect(error).toBeInstanceOf(PcapError);
    });

    it("refuses to write a packet it cannot represent", () => {
      expect(() => encodePcap([{ timestampNs: -1n, data: new Uint8Array(1) }])).toThrow(PcapError);
      expect(() => encodePcap([{ timestampNs: 0n, data: new Uint8Array(4), originalLength: 3 }])).toThrow(PcapError);
      expect(() => encodePcap([{ timestampNs: 0n, data: new Uint8Array(4), linkType: LinkType.RAW }], { linkType: LinkType.ETHERNET })).toThrow(PcapError);
    });
  });
});
