// Builders checked field by field against the RFC layouts, checksums against an
// independently written one's-complement sum over hand-assembled pseudo-headers.
import { describe, expect, it } from "vitest";
import { PacketBuildError } from "../../src/traffic/errors.ts";
import { parseIpv4, parseIpv6 } from "../../src/traffic/packet/address.ts";
import { eth, ipv4, ipv6 } from "../../src/traffic/packet/builder.ts";
import { hex, ipv4PseudoHeader, ipv6PseudoHeader, referenceChecksum, toHex, u16, u32 } from "./reference-checksum.ts";

const mac = { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" };
const a4 = parseIpv4("10.0.0.1");
const b4 = parseIpv4("10.0.0.2");

describe("Ethernet, VLAN and QinQ", () => {
  it("writes destination, source and the EtherType of what follows", () => {
    const frame = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).build();
    expect(toHex(frame.subarray(0, 14))).toBe("02 00 00 00 00 02 02 00 00 00 00 01 08 00");
  });

  it("stacks an 802.1ad S-tag and an 802.1Q C-tag with their TCIs", () => {
    const frame = eth(mac).qinq({ vlanId: 100, priority: 5 }).vlan({ vlanId: 10, dropEligible: true }).ipv6({ src: "::1", dst: "::2" }).build();
    // 88a8, TCI = pcp 5 << 13 | 100 = 0xa064; 8100, TCI = DEI 1 << 12 | 10 = 0x100a; then 86dd.
    expect(toHex(frame.subarray(12, 22))).toBe("88 a8 a0 64 81 00 10 0a 86 dd");
  });

  it("refuses a VLAN id beyond 12 bits", () => {
    expect(() => eth(mac).vlan(4096)).toThrow(PacketBuildError);
  });
});

describe("ARP", () => {
  it("writes an RFC 826 request for IPv4 over Ethernet", () => {
    const frame = eth({ src: mac.src, dst: "ff:ff:ff:ff:ff:ff" }).arp({ operation: "request", senderMac: mac.src, senderIp: "10.0.0.1", targetIp: "10.0.0.2" }).build();
    expect(toHex(frame.subarray(12))).toBe(
      toHex(hex("0806  0001 0800 06 04 0001  020000000001 0a000001  000000000000 0a000002")),
    );
  });
});

describe("IPv4", () => {
  it("reproduces the classic header example byte for byte, checksum 0xb861 included", () => {
    const packet = ipv4({ src: "192.168.0.1", dst: "192.168.0.199", ttl: 64, dontFragment: true, protocol: 17 }).payload(0x73 - 20).build();
    expect(toHex(packet.subarray(0, 20))).toBe(toHex(hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7")));
  });

  it("pads options to four bytes, counts them in IHL and covers them with the checksum", () => {
    // Router Alert (RFC 2113) is 4 bytes; a 3-byte option is padded with one End of Option List.
    const packet = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", options: [0x07, 0x03, 0x04] }).payload(5).build();
    expect(packet[0]).toBe(0x46);
    expect(toHex(packet.subarray(20, 24))).toBe("07 03 04 00");
    expect(u16(packet, 2)).toBe(24 + 5);
    expect(referenceChecksum(packet.subarray(0, 24))).toBe(0);
    expect(() => ipv4({ src: "10.0.0.1", dst: "10.0.0.2", options: new Uint8Array(41) })).toThrow(PacketBuildError);
  });

  it("writes fragment flags and the offset in 8-byte units", () => {
    const packet = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", moreFragments: true, fragmentOffsetBytes: 1480, identification: 0xbeef }).payload(8).build();
    expect(u16(packet, 4)).toBe(0xbeef);
    expect(u16(packet, 6)).toBe(0x2000 | 185);
    expect(() => ipv4({ src: "10.0.0.1", dst: "10.0.0.2", fragmentOffsetBytes: 12 })).toThrow(PacketBuildError);
  });

  it("carries IPv4 in IPv4 (protocol 4) and IPv6 in IPv4 (protocol 41)", () => {
    expect(ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).ipv4({ src: "3.3.3.3", dst: "4.4.4.4" }).build()[9]).toBe(4);
    expect(ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).ipv6({ src: "::1", dst: "::2" }).build()[9]).toBe(41);
  });

  it("writes the overrides a malformed packet needs, with a header checksum that still fits them", () => {
    const packet = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", totalLength: 999 }).payload(10).build();
    expect(u16(packet, 2)).toBe(999);
    expect(referenceChecksum(packet.subarray(0, 20))).toBe(0);
    const wrong = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", checksum: "wrong" }).payload(10).build();
    expect(referenceChecksum(wrong.subarray(0, 20))).not.toBe(0);
  });
});

describe("UDP", () => {
  it("fills in length and the checksum over the IPv4 pseudo-header", () => {
    const frame = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1234, dstPort: 80 }).payload(18).build();
    const udp = frame.subarray(34);
    expect(u16(udp, 0)).toBe(1234);
    expect(u16(udp, 2)).toBe(80);
    expect(u16(udp, 4)).toBe(26);
    expect(frame[23]).toBe(17);
    expect(u16(frame, 16)).toBe(46);
    expect(referenceChecksum(ipv4PseudoHeader(a4, b4, 17, 26), udp)).toBe(0);
  });

  it("writes no checksum (0) only when asked", () => {
    const frame = ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2, checksum: "none" }).payload(4).build();
    expect(u16(frame, 26)).toBe(0);
  });

  it("sends a computed checksum of zero as 0xffff (RFC 768)", () => {
    // Find a payload whose checksum computes to 0: put the complement of the rest's sum in two payload bytes.
    const base = ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2, checksum: 0 }).payload(Uint8Array.of(0, 0)).build();
    const rest = referenceChecksum(ipv4PseudoHeader(a4, b4, 17, 10), base.subarray(20));
    // Choosing the payload word equal to ~sum makes the one's complement sum 0xffff, i.e. a computed checksum of 0.
    const payload = Uint8Array.of(rest >> 8, rest & 0xff);
    const frame = ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2 }).payload(payload).build();
    expect(u16(frame, 26)).toBe(0xffff);
  });
});

describe("TCP", () => {
  it("writes ports, numbers, flags, options and a checksum over the pseudo-header", () => {
    const frame = eth(mac)
      .ipv4({ src: "10.0.0.1", dst: "10.0.0.2" })
      .tcp({
        srcPort: 40000,
        dstPort: 443,
        seq: 0xdeadbeef,
        ack: 7,
        flags: "SA",
        window: 1024,
        options: [{ kind: "mss", value: 1460 }, { kind: "sack-permitted" }, { kind: "timestamps", value: 1, echo: 2 }, { kind: "nop" }, { kind: "window-scale", shift: 7 }],
      })
      .payload(3)
      .build();
    const tcp = frame.subarray(34);
    expect(u16(tcp, 0)).toBe(40000);
    expect(u32(tcp, 4)).toBe(0xdeadbeef);
    expect(u32(tcp, 8)).toBe(7);
    // 20 + 20 bytes of options (4 + 2 + 10 + 1 + 3): data offset 10 words.
    expect(tcp[12] >> 4).toBe(10);
    expect(tcp[13]).toBe(0x12);
    expect(u16(tcp, 14)).toBe(1024);
    expect(toHex(tcp.subarray(20, 40))).toBe(toHex(hex("0204 05b4 0402 080a 00000001 00000002 01 030307")));
    expect(referenceChecksum(ipv4PseudoHeader(a4, b4, 6, 43), tcp)).toBe(0);
  });

  it("reads flag letters F S R P A U E C", () => {
    expect(ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).tcp({ srcPort: 1, dstPort: 2, flags: "FSRPAUEC" }).build()[33]).toBe(0xff);
    expect(() => ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).tcp({ srcPort: 1, dstPort: 2, flags: "X" })).toThrow(PacketBuildError);
  });
});

describe("ICMP and ICMPv6", () => {
  it("checksums an ICMP echo over the message alone", () => {
    const packet = ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).icmp({ type: 8, identifier: 0x1234, sequence: 1 }).payload(32).build();
    const icmp = packet.subarray(20);
    expect(toHex(icmp.subarray(0, 2))).toBe("08 00");
    expect(toHex(icmp.subarray(4, 8))).toBe("12 34 00 01");
    expect(referenceChecksum(icmp)).toBe(0);
  });

  it("checksums ICMPv6 with the IPv6 pseudo-header (RFC 4443 section 2.3)", () => {
    const packet = ipv6({ src: "fe80::1", dst: "ff02::1" }).icmpv6({ type: 128, identifier: 1, sequence: 2 }).payload(8).build();
    expect(packet[6]).toBe(58);
    expect(referenceChecksum(ipv6PseudoHeader(parseIpv6("fe80::1"), parseIpv6("ff02::1"), 58, 16), packet.subarray(40))).toBe(0);
  });
});

describe("IPv6 and its extension headers", () => {
  it("chains hop-by-hop, routing, fragment and destination options to UDP, each a multiple of 8 bytes", () => {
    const packet = ipv6({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      flowLabel: 0xabcde,
      trafficClass: 0x2e,
      extensions: [
        { kind: "hop-by-hop", options: [{ type: 5, data: [0, 0] }] },
        { kind: "routing", routingType: 0, segmentsLeft: 1, addresses: ["2001:db8::99"] },
        { kind: "fragment", identification: 0x01020304, moreFragments: true, offsetBytes: 0 },
        { kind: "destination-options" },
      ],
    })
      .udp({ srcPort: 7, dstPort: 9 })
      .payload(4)
      .build();
    expect(u32(packet, 0)).toBe((6 << 28) | (0x2e << 20) | 0xabcde);
    expect(packet[6]).toBe(0);
    // Hop-by-hop at 40: Router Alert-like option (2+2 bytes) + PadN of 2 to reach 8 bytes.
    expect(toHex(packet.subarray(40, 48))).toBe("2b 00 05 02 00 00 01 00");
    // Routing at 48: next 44 (fragment), length 2 (24 bytes), type 0, segments left 1, reserved, one address.
    expect(toHex(packet.subarray(48, 52))).toBe("2c 02 00 01");
    // Fragment at 72: next 60, reserved, offset 0 with M set, identification.
    expect(toHex(packet.subarray(72, 80))).toBe("3c 00 00 01 01 02 03 04");
    // Destination options at 80: next 17, length 0, PadN of 4.
    expect(toHex(packet.subarray(80, 88))).toBe("11 00 01 04 00 00 00 00");
    expect(u16(packet, 4)).toBe(packet.length - 40);
  });

  it("uses the routing header's final destination in the UDP pseudo-header (RFC 8200 section 8.1)", () => {
    const finalHop = "2001:db8::99";
    const packet = ipv6({ src: "2001:db8::1", dst: "2001:db8::2", extensions: [{ kind: "routing", routingType: 2, addresses: [finalHop] }] })
      .udp({ srcPort: 7, dstPort: 9 })
      .payload(5)
      .build();
    const udp = packet.subarray(40 + 24);
    expect(referenceChecksum(ipv6PseudoHeader(parseIpv6("2001:db8::1"), parseIpv6(finalHop), 17, udp.length), udp)).toBe(0);
  });

  it("takes a Segment Routing Header's final segment from the front of its list (RFC 8754)", () => {
    const packet = ipv6({ src: "2001:db8::1", dst: "2001:db8::a", extensions: [{ kind: "routing", routingType: 4, segmentsLeft: 1, addresses: ["2001:db8::f", "2001:db8::a"] }] })
      .tcp({ srcPort: 1, dstPort: 2 })
      .build();
    // Last Entry = 1 at byte 4 of the header.
    expect(packet[40 + 4]).toBe(1);
    const tcp = packet.subarray(40 + 40);
    expect(referenceChecksum(ipv6PseudoHeader(parseIpv6("2001:db8::1"), parseIpv6("2001:db8::f"), 6, tcp.length), tcp)).toBe(0);
  });
});

describe("tunnels", () => {
  it("writes GRE with checksum, key and sequence (RFC 2784, RFC 2890) around Ethernet", () => {
    const packet = ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).gre({ withChecksum: true, key: 0xaabbccdd, sequence: 5 }).eth(mac).payload(2).build();
    const gre = packet.subarray(20);
    expect(packet[9]).toBe(47);
    expect(toHex(gre.subarray(0, 4))).toBe("b0 00 65 58");
    expect(toHex(gre.subarray(8, 16))).toBe("aa bb cc dd 00 00 00 05");
    expect(referenceChecksum(gre)).toBe(0);
  });

  it("writes VXLAN (RFC 7348) inside UDP with an Ethernet frame inside, inner checksums first", () => {
    const frame = eth(mac)
      .ipv4({ src: "1.1.1.1", dst: "2.2.2.2" })
      .udp({ srcPort: 50000, dstPort: 4789 })
      .vxlan(0x123456)
      .eth(mac)
      .ipv4({ src: "10.0.0.1", dst: "10.0.0.2" })
      .udp({ srcPort: 1, dstPort: 2 })
      .payload(6)
      .build();
    const outerUdp = frame.subarray(34);
    expect(toHex(outerUdp.subarray(8, 16))).toBe("08 00 00 00 12 34 56 00");
    const innerIp = outerUdp.subarray(16 + 14);
    expect(referenceChecksum(ipv4PseudoHeader(a4, b4, 17, 14), innerIp.subarray(20))).toBe(0);
    expect(referenceChecksum(ipv4PseudoHeader(parseIpv4("1.1.1.1"), parseIpv4("2.2.2.2"), 17, outerUdp.length), outerUdp)).toBe(0);
  });
});

describe("the builder", () => {
  it("refuses a layer where it cannot go, naming what could", () => {
    expect(() => eth(mac).tcp({ srcPort: 1, dstPort: 2 })).toThrow(/cannot follow ethernet/);
    expect(() => ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).icmpv6({ type: 128 })).toThrow(PacketBuildError);
    expect(() => eth(mac).payload(1).payload(1)).toThrow(PacketBuildError);
  });

  it("pads a frame without touching its length fields", () => {
    const frame = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2 }).padTo(60).build();
    expect(frame.length).toBe(60);
    expect(u16(frame, 16)).toBe(28);
    expect(u16(frame, 38)).toBe(8);
  });

  it("is immutable: extending a builder leaves the original as it was", () => {
    const base = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" });
    base.udp({ srcPort: 1, dstPort: 2 });
    expect(base.build().length).toBe(34);
  });
});
