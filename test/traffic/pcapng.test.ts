import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCaptureBuffer } from "../../src/traffic/capture/capture-reader.ts";
import { createPcapngWriter, encodePcapng } from "../../src/traffic/capture/pcapng-writer.ts";
import { PcapError } from "../../src/traffic/errors.ts";
import { memorySink } from "../../src/traffic/io/byte-sink.ts";
import { LinkType } from "../../src/traffic/link-type.ts";
import { concat, toHex } from "./reference-checksum.ts";

// A block assembler written from draft-ietf-opsawg-pcapng section 3.1, independent of the writer:
// type, total length, body padded to 4, total length again.
function block(little: boolean, type: number, ...fields: Uint8Array[]): Uint8Array {
  const body = concat(...fields);
  const padded = new Uint8Array(Math.ceil(body.length / 4) * 4);
  padded.set(body);
  const total = 12 + padded.length;
  return concat(u32(little, type), u32(little, total), padded, u32(little, total));
}
function u32(little: boolean, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, little);
  return bytes;
}
function u16(little: boolean, value: number): Uint8Array {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, value, little);
  return bytes;
}
function option(little: boolean, code: number, value: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(value.length / 4) * 4);
  padded.set(value);
  return concat(u16(little, code), u16(little, value.length), padded);
}
const endOfOptions = new Uint8Array(4);
const shb = (little: boolean, major = 1): Uint8Array =>
  block(little, 0x0a0d0d0a, u32(little, 0x1a2b3c4d), u16(little, major), u16(little, 0), new Uint8Array(8).fill(0xff));
const idb = (little: boolean, linkType: number, snaplen: number, ...options: Uint8Array[]): Uint8Array =>
  block(little, 1, u16(little, linkType), u16(little, 0), u32(little, snaplen), ...options, ...(options.length ? [endOfOptions] : []));
const epb = (little: boolean, iface: number, units: bigint, data: Uint8Array, originalLength = data.length, ...options: Uint8Array[]): Uint8Array => {
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  return block(
    little,
    6,
    u32(little, iface),
    u32(little, Number(units >> 32n)),
    u32(little, Number(units & 0xffffffffn)),
    u32(little, data.length),
    u32(little, originalLength),
    padded,
    ...options,
  );
};
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("pcapng", () => {
  for (const little of [true, false]) {
    it(`reads a hand-assembled ${little ? "little" : "big"}-endian section with two interfaces of different resolutions`, () => {
      const file = concat(
        shb(little),
        // Interface 0: Ethernet, default resolution (microseconds). Interface 1: raw IP, if_tsresol 2^-10, if_tsoffset 100 s.
        idb(little, LinkType.ETHERNET, 0),
        idb(little, LinkType.RAW, 96, option(little, 9, bytes(0x80 | 10)), option(little, 14, concat(little ? u32(true, 100) : u32(false, 0), little ? u32(true, 0) : u32(false, 100)))),
        epb(little, 0, 1_234_567n, bytes(1, 2, 3), 3, option(little, 1, new TextEncoder().encode("a comment")), endOfOptions),
        epb(little, 1, 1536n, bytes(0x45, 9, 9, 9, 9), 1500),
      );
      const { format, packets } = readCaptureBuffer(file);
      expect(format).toBe("pcapng");
      expect(packets.map((p) => [p.interfaceId, p.linkType, p.timestampNs, toHex(p.data), p.originalLength])).toEqual([
        [0, LinkType.ETHERNET, 1_234_567_000n, "01 02 03", 3],
        // 1536 / 1024 s = 1.5 s, plus the 100 s offset.
        [1, LinkType.RAW, 101_500_000_000n, "45 09 09 09 09", 1500],
      ]);
    });
  }

  it("reads Simple Packet Blocks (length limited by interface 0's snaplen) and obsolete Packet Blocks", () => {
    const le = true;
    const opb = block(le, 2, u16(le, 0), u16(le, 0), u32(le, 0), u32(le, 2_000_000), u32(le, 2), u32(le, 64), bytes(0xaa, 0xbb));
    const spb = block(le, 3, u32(le, 100), new Uint8Array(12).fill(7));
    const file = concat(shb(le), idb(le, LinkType.ETHERNET, 8), opb, spb);
    const { packets } = readCaptureBuffer(file);
    expect(packets.map((p) => [p.timestampNs, p.data.length, p.originalLength])).toEqual([
      [2_000_000_000n, 2, 64],
      // No timestamp of its own: the previous packet's. Captured: min(100 original, 8 snaplen).
      [2_000_000_000n, 8, 100],
    ]);
  });

  it("skips blocks it does not know (name resolution, statistics, custom) by their length", () => {
    const le = true;
    const nrb = block(le, 4, u16(le, 1), u16(le, 8), bytes(10, 0, 0, 1, 0x61, 0x62, 0x00, 0x00), u32(le, 0));
    const isb = block(le, 5, u32(le, 0), u32(le, 0), u32(le, 5), endOfOptions);
    const custom = block(le, 0x00000bad, u32(le, 32473), new Uint8Array(33));
    const file = concat(shb(le), nrb, idb(le, 1, 0), isb, custom, epb(le, 0, 0n, bytes(1)), custom);
    expect(readCaptureBuffer(file).packets).toHaveLength(1);
  });

  it("starts over at each section: new byte order, new interfaces", () => {
    const file = concat(
      shb(true),
      idb(true, LinkType.ETHERNET, 0),
      epb(true, 0, 1n, bytes(1)),
      shb(false),
      idb(false, LinkType.IPV4, 0, option(false, 9, bytes(9))),
      epb(false, 0, 5n, bytes(0x45)),
    );
    const { packets } = readCaptureBuffer(file);
    expect(packets.map((p) => [p.sectionIndex, p.interfaceId, p.linkType, p.timestampNs])).toEqual([
      [0, 0, LinkType.ETHERNET, 1000n],
      [1, 0, LinkType.IPV4, 5n],
    ]);
  });

  it("round-trips through the writer, several interfaces and sections, both byte orders", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            section: fc.integer({ min: 0, max: 2 }),
            interfaceId: fc.integer({ min: 0, max: 1 }),
            timestampNs: fc.bigInt({ min: 0n, max: 1n << 60n }),
            data: fc.uint8Array({ maxLength: 100 }),
            extra: fc.nat({ max: 100 }),
          }),
          { maxLength: 25 },
        ),
        fc.boolean(),
        (drawn, firstLittle) => {
          const sorted = [...drawn].sort((a, b) => a.section - b.section);
          const interfaces = [{ linkType: LinkType.ETHERNET }, { linkType: LinkType.RAW, resolution: { base: 10 as const, exponent: 6 } }];
          const sink = memorySink();
          const writer = createPcapngWriter(sink, { byteOrder: firstLittle ? "little" : "big", interfaces });
          let section = 0;
          for (const packet of sorted) {
            while (section < packet.section) {
              section++;
              writer.startSection({ byteOrder: section % 2 === 0 === firstLittle ? "little" : "big", interfaces });
            }
            writer.write({ timestampNs: packet.timestampNs, data: packet.data, originalLength: packet.data.length + packet.extra, interfaceId: packet.interfaceId });
          }
          writer.close();
          const { packets, error } = readCaptureBuffer(sink.bytes());
          expect(error).toBeUndefined();
          expect(packets).toHaveLength(sorted.length);
          packets.forEach((got, i) => {
            const sent = sorted[i];
            expect(got.sectionIndex).toBe(sent.section);
            expect(got.interfaceId).toBe(sent.interfaceId);
            expect(got.linkType).toBe(interfaces[sent.interfaceId].linkType);
            // Interface 1 keeps microseconds.
            expect(got.timestampNs).toBe(sent.interfaceId === 1 ? sent.timestampNs - (sent.timestampNs % 1000n) : sent.timestampNs);
            expect([...got.data]).toEqual([...sent.data]);
            expect(got.originalLength).toBe(sent.data.length + sent.extra);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  describe("errors", () => {
    const le = true;
    const good = concat(shb(le), idb(le, 1, 0), epb(le, 0, 0n, bytes(1, 2, 3, 4, 5)));

    it("names a block cut short by the end of the file", () => {
      expect(() => readCaptureBuffer(good.subarray(0, good.length - 2), { name: "g.pcapng" })).toThrow(
        "g.pcapng: an Enhanced Packet Block of 40 bytes is cut short by the end of the file (at byte offset 48).",
      );
    });

    it("refuses a total length that is not a multiple of 4, or a trailer that disagrees", () => {
      const odd = good.slice();
      new DataView(odd.buffer).setUint32(48 + 4, 38, true);
      expect(() => readCaptureBuffer(odd, { name: "o" })).toThrow(/total length 38, not a multiple of 4/);
      const trailer = good.slice();
      new DataView(trailer.buffer).setUint32(good.length - 4, 44, true);
      expect(() => readCaptureBuffer(trailer, { name: "t" })).toThrow("t: an Enhanced Packet Block ends with total length 44, but starts with 40 (at byte offset 48).");
    });

    it("refuses a packet on an interface the section does not describe", () => {
      const file = concat(shb(le), idb(le, 1, 0), epb(le, 3, 0n, bytes(1)));
      expect(() => readCaptureBuffer(file, { name: "i" })).toThrow("i: an Enhanced Packet Block refers to interface 3, but section 0 describes 1 (at byte offset 48).");
    });

    it("refuses a bad byte-order magic and an unknown major version", () => {
      const magic = shb(le).slice();
      magic[8] = 0;
      expect(() => readCaptureBuffer(magic, { name: "m" })).toThrow(/byte-order magic/);
      expect(() => readCaptureBuffer(shb(le, 2), { name: "v" })).toThrow(/unsupported pcapng version 2\.0/);
    });

    it("refuses a captured length larger than the block, or than the original length", () => {
      const big = concat(shb(le), idb(le, 1, 0), block(le, 6, u32(le, 0), u32(le, 0), u32(le, 0), u32(le, 99), u32(le, 99), bytes(1, 2, 3, 4)));
      expect(() => readCaptureBuffer(big, { name: "b" })).toThrow(/claims 99 captured bytes, more than the block holds/);
      const longer = concat(shb(le), idb(le, 1, 0), epb(le, 0, 0n, bytes(1, 2, 3), 2));
      expect(() => readCaptureBuffer(longer, { name: "l" })).toThrow(/claims 3 captured bytes of a 2-byte packet/);
    });

    it("returns the packets before a damaged block when partial", () => {
      const file = concat(good, epb(le, 0, 0n, bytes(9))).subarray(0, good.length + 10);
      const { packets, error } = readCaptureBuffer(file, { partial: true });
      expect(packets).toHaveLength(1);
      expect(error).toBeInstanceOf(PcapError);
      expect(error?.offset).toBe(good.length);
    });
  });

  it("writes timestamps in the interface's units", () => {
    const file = encodePcapng([{ timestampNs: 3_000_000_500n, data: bytes(1) }], { interfaces: [{ resolution: { base: 10, exponent: 6 } }] });
    // EPB after SHB (28) and IDB (32): timestamp high at +12, low at +16, in microseconds: 3000000.
    const view = new DataView(file.buffer);
    expect(view.getUint32(28 + 32 + 12, true)).toBe(0);
    expect(view.getUint32(28 + 32 + 16, true)).toBe(3_000_000);
  });
});
