import fc from "fast-check";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCaptureFile, readCaptureFile } from "../../src/traffic/capture/capture-reader.ts";
import { createPcapFileWriter } from "../../src/traffic/capture/pcap-writer.ts";
import { createPcapngFileWriter } from "../../src/traffic/capture/pcapng-writer.ts";
import { PcapError } from "../../src/traffic/errors.ts";
import { bufferSource, fileSource } from "../../src/traffic/io/byte-source.ts";

const dir = mkdtempSync(join(tmpdir(), "offload-sim-traffic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openDescriptors = (): number => readdirSync("/proc/self/fd").length;

describe("reading capture files", () => {
  it("gives the same bytes through a small file buffer as from memory, whatever the reads and skips", () => {
    const content = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
    const path = join(dir, "bytes.bin");
    writeFileSync(path, content);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 900 })), { maxLength: 40 }), (bufferBytes, operations) => {
        const file = fileSource(path, bufferBytes);
        const memory = bufferSource(content, "memory");
        try {
          for (const [isSkip, count] of operations) {
            if (isSkip) expect(file.skip(count)).toBe(memory.skip(count));
            else expect([...file.read(count)]).toEqual([...memory.read(count)]);
            expect(file.offset).toBe(memory.offset);
          }
        } finally {
          file.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("streams a file larger than its buffer, pcap and pcapng alike, and closes it", () => {
    for (const format of ["pcap", "pcapng"] as const) {
      const path = join(dir, `big.${format}`);
      const writer = format === "pcap" ? createPcapFileWriter(path) : createPcapngFileWriter(path);
      const count = 3000;
      for (let i = 0; i < count; i++) writer.write({ timestampNs: BigInt(i), data: new Uint8Array(1000).fill(i & 0xff) });
      writer.close();
      const before = openDescriptors();
      let seen = 0;
      for (const packet of openCaptureFile(path)) {
        expect(packet.timestampNs).toBe(BigInt(seen));
        expect(packet.data[999]).toBe(seen & 0xff);
        seen++;
      }
      expect(seen).toBe(count);
      expect(openDescriptors()).toBe(before);
    }
  });

  it("closes the file when iteration stops early", () => {
    const path = join(dir, "early.pcap");
    const writer = createPcapFileWriter(path);
    for (let i = 0; i < 10; i++) writer.write({ timestampNs: 0n, data: new Uint8Array(60) });
    writer.close();
    const before = openDescriptors();
    for (const packet of openCaptureFile(path)) {
      expect(packet.data.length).toBe(60);
      break;
    }
    expect(openDescriptors()).toBe(before);
  });

  it("reports a missing file, a directory and a truncated file as PcapErrors naming them", () => {
    expect(() => openCaptureFile(join(dir, "missing.pcap"))).toThrow(`${join(dir, "missing.pcap")}: cannot open the capture: no such file (at byte offset 0).`);
    expect(() => openCaptureFile(dir)).toThrow(PcapError);
    const path = join(dir, "cut.pcap");
    const writer = createPcapFileWriter(path);
    writer.write({ timestampNs: 0n, data: new Uint8Array(60) });
    writer.write({ timestampNs: 0n, data: new Uint8Array(60) });
    writer.close();
    const whole = new Uint8Array(readFileSync(path));
    writeFileSync(path, whole.subarray(0, whole.length - 1));
    expect(() => readCaptureFile(path)).toThrow(`${path}: packet record 1 is cut short: 60 captured bytes announced, 59 present (at byte offset 100).`);
    const partial = readCaptureFile(path, { partial: true });
    expect(partial.packets).toHaveLength(1);
    expect(partial.error?.offset).toBe(100);
  });

  it("refuses to create a capture where it cannot", () => {
    expect(() => createPcapFileWriter(join(dir, "no", "such", "dir.pcap"))).toThrow(PcapError);
  });
});
