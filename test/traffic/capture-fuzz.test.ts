// Mutated and truncated captures: the readers end in one PcapError or read to the end, never
// another exception, never a hang; partial mode never throws at all. The packets read become
// XDP frames (xdp-frames.ts) or are left out, or the link type is refused in one sentence.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapturedPacket } from "../../src/traffic/captured-packet.ts";
import { readCaptureBuffer } from "../../src/traffic/capture/capture-reader.ts";
import { encodePcap } from "../../src/traffic/capture/pcap-writer.ts";
import { createPcapngWriter } from "../../src/traffic/capture/pcapng-writer.ts";
import { LinkTypeError, PcapError } from "../../src/traffic/errors.ts";
import { memorySink } from "../../src/traffic/io/byte-sink.ts";
import { MAX_FRAME_BYTES, xdpFrames } from "../../src/traffic/xdp-frames.ts";
import { toHex } from "./reference-checksum.ts";

const packets = Array.from({ length: 6 }, (_, i) => ({ timestampNs: BigInt(i) * 1_000_003n, data: Uint8Array.from({ length: 20 + 7 * i }, (_, k) => k), originalLength: 100 + i }));

function pcapngSample(): Uint8Array {
  const sink = memorySink();
  const writer = createPcapngWriter(sink, { byteOrder: "big", interfaces: [{}, { resolution: { base: 2, exponent: 30 } }] });
  packets.slice(0, 3).forEach((p, i) => writer.write({ ...p, interfaceId: i % 2 }));
  writer.startSection({ byteOrder: "little" });
  packets.slice(3).forEach((p) => writer.write(p));
  writer.close();
  return sink.bytes();
}

// A plain Uint8Array: a Buffer's slice() is a view, and the mutations below must not reach the sample.
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", name)));
// The written samples, then real and hand-built captures of other link types and block kinds (fixtures/README.md).
const written = [encodePcap(packets, { byteOrder: "big", resolution: "micro" }), encodePcap(packets), pcapngSample()];
const samples = [
  ...written,
  fixture("mixed.pcapng"),
  fixture("any-sll2-s96.pcap"),
  fixture("null-be-ns.pcap"),
  fixture("lo-and-any.pcapng"),
];

const ETHERNET_HEADER_BYTES = 14;

// Every packet becomes a frame or is left out; only a link type with no Ethernet equivalent throws, as a LinkTypeError.
function checkFrames(read: readonly CapturedPacket[], name: string): void {
  const frames = xdpFrames(name);
  for (const packet of read) {
    let frame: Uint8Array | undefined;
    try {
      frame = frames.frameOf(packet);
    } catch (err) {
      if (!(err instanceof LinkTypeError)) throw err;
      expect(err.message).toMatch(new RegExp(`^${name}: packet \\d+ has link type .* \\(\\d+\\), which offload-sim cannot turn into the Ethernet frame an XDP program sees \\(.*\\)\\.$`));
      return;
    }
    if (frame === undefined) continue;
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    if (packet.linkType !== 1) expect(frame.length).toBeGreaterThanOrEqual(ETHERNET_HEADER_BYTES);
  }
  for (const note of frames.notes()) expect(note).toMatch(new RegExp(`^${name}: [^\\n]*\\.$`));
}

// A mutation: overwrite bytes, write a random 32-bit value (lengths, magics), cut, or insert.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("byte" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("word" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(sample: Uint8Array, mutations: readonly { kind: string; at: number; value: number }[]): Uint8Array {
  let bytes = sample.slice();
  for (const { kind, at, value } of mutations) {
    if (bytes.length === 0) break;
    const where = at % bytes.length;
    if (kind === "byte") bytes[where] = value;
    else if (kind === "word") {
      for (let k = 0; k < 4 && where + k < bytes.length; k++) bytes[where + k] = (value >>> (8 * k)) & 0xff;
    } else if (kind === "cut") bytes = bytes.slice(0, where);
    else bytes = Uint8Array.from([...bytes.subarray(0, where), value, ...bytes.subarray(where)]);
  }
  return bytes;
}

describe("capture readers under mutation", () => {
  it("throw nothing but PcapError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const bytes = mutate(samples[which], mutations);
        try {
          const { packets: read } = readCaptureBuffer(bytes, { name: "fuzz" });
          for (const packet of read) expect(packet.data.length).toBeLessThanOrEqual(packet.originalLength);
          checkFrames(read, "fuzz");
        } catch (err) {
          if (!(err instanceof PcapError)) throw new Error(`${String(err)} on ${toHex(bytes.subarray(0, 96))}`);
          expect(err.message).toMatch(/^fuzz: .* \(at byte offset \d+\)\.$/);
          expect(err.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: 2500 },
    );
  });

  it("turn any bytes after a pcap or pcapng magic into packets or one PcapError naming the offset", () => {
    // pcap micro and nano in both byte orders, and the pcapng Section Header Block type.
    const magics = ["d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d", "0a0d0d0a"].map((text) => Uint8Array.from(Buffer.from(text, "hex")));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: magics.length - 1 }), fc.uint8Array({ maxLength: 400 }), (which, rest) => {
        const bytes = Uint8Array.from([...magics[which], ...rest]);
        try {
          const { packets: read } = readCaptureBuffer(bytes, { name: "any" });
          checkFrames(read, "any");
        } catch (err) {
          if (!(err instanceof PcapError)) throw new Error(`${String(err)} on ${toHex(bytes.subarray(0, 96))}`);
          expect(err.message).toMatch(/^any: [^\n]* \(at byte offset \d+\)\.$/);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("turn any packet of any link type into a frame, a left-out packet or a LinkTypeError", () => {
    const linkTypes = fc.oneof(fc.constantFrom(0, 1, 101, 105, 108, 113, 127, 228, 229, 276), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(linkTypes, fc.uint8Array({ maxLength: 120 }), fc.nat({ max: 70000 }), (linkType, data, extra) => {
        const packet: CapturedPacket = { timestampNs: 0n, data, originalLength: data.length + extra, linkType, interfaceId: 0, sectionIndex: 0 };
        checkFrames([packet], "p");
      }),
      { numRuns: 1500 },
    );
  });

  it("in partial mode return what they read and at most one error, never throwing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: written.length - 1 }), fc.nat(), (which, cutAt) => {
        const sample = written[which];
        const bytes = sample.subarray(0, cutAt % (sample.length + 1));
        const { packets: read, error } = readCaptureBuffer(bytes, { partial: true });
        expect(read.length).toBeLessThanOrEqual(packets.length);
        if (bytes.length === sample.length) expect(error).toBeUndefined();
        for (let i = 0; i < read.length; i++) expect([...read[i].data]).toEqual([...packets[i].data]);
      }),
      { numRuns: 500 },
    );
  });

  it("in partial mode read a prefix of the packets of any capture cut anywhere, real ones included", () => {
    const whole = samples.map((sample) => readCaptureBuffer(sample).packets.map((p) => Buffer.from(p.data).toString("hex")));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), (which, cutAt) => {
        const bytes = samples[which].subarray(0, cutAt % (samples[which].length + 1));
        const { packets: read } = readCaptureBuffer(bytes, { partial: true });
        expect(read.map((p) => Buffer.from(p.data).toString("hex"))).toEqual(whole[which].slice(0, read.length));
      }),
      { numRuns: 500 },
    );
  });

  it("read every whole packet before a cut, however the file is cut", () => {
    const sample = written[1];
    // pcap: 24-byte file header, then 16-byte record headers before 20 + 7i bytes.
    let end = 24;
    const ends = packets.map((p) => (end += 16 + p.data.length));
    for (let cut = 0; cut <= sample.length; cut++) {
      const { packets: read, error } = readCaptureBuffer(sample.subarray(0, cut), { partial: true });
      const whole = ends.filter((e) => e <= cut).length;
      expect(read.length, `cut at ${cut}`).toBe(whole);
      // A file cut right after the file header or after a whole record is a shorter, valid capture.
      expect(error === undefined, `cut at ${cut}`).toBe(cut === 24 || ends.includes(cut));
    }
  });
});
