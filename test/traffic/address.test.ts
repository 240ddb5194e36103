import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PacketBuildError } from "../../src/traffic/errors.ts";
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from "../../src/traffic/packet/address.ts";

describe("addresses", () => {
  it("reads and writes MAC addresses", () => {
    expect([...parseMac("02:00:5E:10:00:ff")]).toEqual([0x02, 0x00, 0x5e, 0x10, 0x00, 0xff]);
    expect(formatMac(Uint8Array.of(0x02, 0, 0x5e, 0x10, 0, 0xff))).toBe("02:00:5e:10:00:ff");
    for (const bad of ["02:00:00:00:00", "02:00:00:00:00:0g", "020000000001", ""]) expect(() => parseMac(bad)).toThrow(PacketBuildError);
  });

  it("reads dotted quads and refuses what is not one", () => {
    expect([...parseIpv4("192.0.2.255")]).toEqual([192, 0, 2, 255]);
    expect(formatIpv4(Uint8Array.of(10, 0, 0, 1))).toBe("10.0.0.1");
    for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "a.b.c.d", ""]) expect(() => parseIpv4(bad)).toThrow(PacketBuildError);
  });

  it("reads the IPv6 text forms of RFC 4291 section 2.2", () => {
    expect(formatIpv6(parseIpv6("2001:DB8:0:0:8:800:200C:417A"))).toBe("2001:db8::8:800:200c:417a");
    expect([...parseIpv6("::")]).toEqual(new Array(16).fill(0));
    expect([...parseIpv6("::1")]).toEqual([...new Array(15).fill(0), 1]);
    expect([...parseIpv6("::ffff:192.0.2.1").subarray(10)]).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    for (const bad of ["1:2:3:4:5:6:7", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::g", "1:2:3:4:5:6:7::8"]) {
      expect(() => parseIpv6(bad), bad).toThrow(PacketBuildError);
    }
  });

  it("writes IPv6 addresses in the canonical form of RFC 5952 section 4", () => {
    const canonical: [string, string][] = [
      // 4.2.1: shorten as much as possible.
      ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
      // 4.2.2: a single 16-bit 0 field is not shortened.
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      // 4.2.3: the longest run is shortened; of equal runs, the first.
      ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      // 4.3: lowercase; 4.1: no leading zeros.
      ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ];
    for (const [input, expected] of canonical) expect(formatIpv6(parseIpv6(input))).toBe(expected);
  });

  it("round-trips any IPv6 address through its canonical text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 16 }), (bytes, from, count) => {
        bytes.fill(0, from, from + count);
        expect([...parseIpv6(formatIpv6(bytes))]).toEqual([...bytes]);
      }),
      { numRuns: 300 },
    );
  });
});
