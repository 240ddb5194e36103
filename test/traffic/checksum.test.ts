import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldCarries, internetChecksum, sumWords, wrongChecksum } from "../../src/traffic/packet/checksum.ts";
import { hex, referenceChecksum, toHex } from "./reference-checksum.ts";

describe("Internet checksum (RFC 1071)", () => {
  it("matches RFC 1071 section 3's numerical example", () => {
    // Bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 in one's complement; the checksum is its complement.
    const bytes = hex("00 01 f2 03 f4 f5 f6 f7");
    expect(foldCarries(sumWords(bytes, 0, bytes.length))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it("gives the checksum of the classic IPv4 header example (192.168.0.1 > 192.168.0.199): 0xb861", () => {
    const header = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it("agrees with an independently written checksum on any bytes, odd lengths included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        expect(internetChecksum(bytes), toHex(bytes.subarray(0, 64))).toBe(referenceChecksum(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("makes data whose checksum field holds it verify to zero", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 200 }), (bytes) => {
        const data = bytes.slice();
        data[0] = 0;
        data[1] = 0;
        const checksum = internetChecksum(data);
        data[0] = checksum >> 8;
        data[1] = checksum & 0xff;
        expect(referenceChecksum(data)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("picks a wrong checksum that a receiver rejects: never the right value, its 0/ffff twin, or 0", () => {
    for (let correct = 0; correct <= 0xffff; correct++) {
      const wrong = wrongChecksum(correct);
      const twin = correct === 0 ? 0xffff : correct === 0xffff ? 0 : correct;
      if (wrong === correct || wrong === twin || wrong === 0 || wrong === 0xffff) throw new Error(`wrongChecksum(${correct}) = ${wrong}`);
    }
  });
});
