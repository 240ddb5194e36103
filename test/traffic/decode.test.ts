import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkType } from "../../src/traffic/link-type.ts";
import { eth, ipv4, ipv6 } from "../../src/traffic/packet/builder.ts";
import { decodePacket } from "../../src/traffic/packet/decode.ts";
import { describePacket } from "../../src/traffic/packet/describe.ts";
import { toHex } from "./reference-checksum.ts";

const mac = { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" };
const udpFrame = (): Uint8Array => eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1234, dstPort: 80 }).payload(18).build();

describe("describing packets", () => {
  it("prints one readable line, layer by layer", () => {
    expect(describePacket(udpFrame())).toBe(
      "Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 / IPv4 10.0.0.1 > 10.0.0.2 ttl 64 / UDP 1234 > 80 len 26 / payload 18 bytes",
    );
  });

  it("names TCP flags the tcpdump way and lists options", () => {
    const frame = eth(mac)
      .vlan(10)
      .ipv4({ src: "10.0.0.1", dst: "10.0.0.2", dontFragment: true })
      .tcp({ srcPort: 1, dstPort: 2, flags: "SA", seq: 5, ack: 6, options: [{ kind: "mss", value: 1460 }] })
      .build();
    expect(describePacket(frame)).toBe(
      "Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 / 802.1Q vlan 10 / IPv4 10.0.0.1 > 10.0.0.2 ttl 64 DF / TCP 1 > 2 [S.] seq 5 ack 6 win 65535 options [mss 1460] len 0",
    );
  });

  it("follows tunnels: VXLAN, GRE, IP in IP", () => {
    const vxlan = eth(mac).ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).udp({ srcPort: 9, dstPort: 4789 }).vxlan(7).eth(mac).arp({ operation: "request", senderMac: mac.src, senderIp: "10.0.0.1", targetIp: "10.0.0.9" }).build();
    expect(describePacket(vxlan)).toMatch(/UDP 9 > 4789 len \d+ \/ VXLAN vni 7 \/ Ethernet .* \/ ARP who-has 10.0.0.9 tell 10.0.0.1$/);
    const gre = ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).gre({ key: 3 }).ipv6({ src: "::1", dst: "::2" }).icmpv6({ type: 128, identifier: 4, sequence: 5 }).build();
    expect(describePacket(gre, LinkType.RAW)).toBe("IPv4 1.1.1.1 > 2.2.2.2 ttl 64 / GRE key 0x3 / IPv6 ::1 > ::2 hlim 64 / ICMPv6 echo request id 4 seq 5");
    const ipip = ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).ipv4({ src: "3.3.3.3", dst: "4.4.4.4" }).icmp({ type: 0, identifier: 1, sequence: 2 }).build();
    expect(describePacket(ipip, LinkType.IPV4)).toBe("IPv4 1.1.1.1 > 2.2.2.2 ttl 64 / IPv4 3.3.3.3 > 4.4.4.4 ttl 64 / ICMP echo reply id 1 seq 2");
  });

  it("lists IPv6 extension headers and stops at a non-first fragment", () => {
    const frame = ipv6({ src: "2001:db8::1", dst: "2001:db8::2", extensions: [{ kind: "hop-by-hop" }, { kind: "fragment", offsetBytes: 1232, identification: 9 }] }).payload(16).build();
    expect(describePacket(frame, LinkType.IPV6)).toBe(
      "IPv6 2001:db8::1 > 2001:db8::2 hlim 64 [hop-by-hop, fragment id 9 off 1232] / payload 16 bytes (a non-first fragment)",
    );
  });

  it("reports wrong checksums with the value expected", () => {
    const badIp = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2", checksum: 0x1234 }).udp({ srcPort: 1, dstPort: 2 }).build();
    expect(describePacket(badIp)).toMatch(/IPv4 .* bad cksum 0x1234 \(expected 0x[0-9a-f]{4}\)/);
    const badUdp = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2, checksum: "wrong" }).build();
    expect(decodePacket(badUdp).layers[2]).toMatchObject({ kind: "udp", checksumVerdict: { kind: "bad" } });
    const goodTcp = eth(mac).ipv6({ src: "::1", dst: "::2" }).tcp({ srcPort: 1, dstPort: 2 }).payload(9).build();
    expect(decodePacket(goodTcp).layers[2]).toMatchObject({ kind: "tcp", checksumVerdict: { kind: "ok" } });
  });

  it("says where a cut-off frame stops and which length field overreaches", () => {
    const cut = udpFrame().subarray(0, 40);
    const decoded = decodePacket(cut);
    expect(decoded.stop).toEqual({ offset: 34, reason: "UDP header needs 8 bytes, 6 present" });
    expect(describePacket(cut)).toBe(
      "Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 / IPv4 10.0.0.1 > 10.0.0.2 ttl 64 total length 46 but 20 bytes missing / [stopped at byte 34: UDP header needs 8 bytes, 6 present]",
    );
    expect(describePacket(new Uint8Array(5))).toBe("[stopped at byte 0: Ethernet header needs 14 bytes, 5 present]");
  });

  it("counts Ethernet padding after the IP packet as a trailer", () => {
    const frame = eth(mac).ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1, dstPort: 2 }).padTo(60).build();
    expect(decodePacket(frame).trailerLength).toBe(60 - 42);
  });

  it("notes a capture that holds fewer bytes than the packet had", () => {
    const data = udpFrame().subarray(0, 42);
    const text = describePacket({ timestampNs: 0n, data, originalLength: 60, linkType: LinkType.ETHERNET, interfaceId: 0, sectionIndex: 0 });
    expect(text).toMatch(/\[captured 42 of 60 bytes\]$/);
  });

  it("decodes the fields the builder wrote", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 300 }),
        fc.boolean(),
        (srcPort, dstPort, ttl, payloadBytes, overIpv6) => {
          const base = eth(mac);
          const net = overIpv6 ? base.ipv6({ src: "2001:db8::5", dst: "2001:db8::6", hopLimit: ttl }) : base.ipv4({ src: "10.1.2.3", dst: "10.4.5.6", ttl });
          const frame = net.udp({ srcPort, dstPort }).payload(payloadBytes).build();
          const decoded = decodePacket(frame);
          expect(decoded.stop, toHex(frame)).toBeUndefined();
          expect(decoded.layers[1]).toMatchObject(overIpv6 ? { kind: "ipv6", hopLimit: ttl, src: "2001:db8::5" } : { kind: "ipv4", ttl, dst: "10.4.5.6" });
          expect(decoded.layers[2]).toMatchObject({ kind: "udp", srcPort, dstPort, length: 8 + payloadBytes, checksumVerdict: { kind: "ok" } });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reads Linux cooked (SLL, SLL2) and OpenBSD loopback headers, a VLAN tag announced by SLL included", () => {
    const ip = ipv4({ src: "10.0.0.1", dst: "10.0.0.2" }).udp({ srcPort: 1234, dstPort: 80 }).payload(4).build();
    const line = "IPv4 10.0.0.1 > 10.0.0.2 ttl 64 / UDP 1234 > 80 len 12 / payload 4 bytes";
    // SLL: packet type 0, ARPHRD_ETHER, 6-byte address, 2 pad bytes, protocol (tcpdump.org LINKTYPE_LINUX_SLL).
    const sll = (protocol: number[], rest: Uint8Array): Uint8Array => Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...protocol, ...rest]);
    expect(describePacket(sll([0x08, 0x00], ip), LinkType.LINUX_SLL)).toBe(line);
    expect(describePacket(sll([0x81, 0x00], Uint8Array.from([0x00, 0x07, 0x08, 0x00, ...ip])), LinkType.LINUX_SLL)).toBe(`802.1Q vlan 7 / ${line}`);
    // SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
    const sll2 = Uint8Array.from([0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip]);
    expect(describePacket(sll2, LinkType.LINUX_SLL2)).toBe(line);
    expect(describePacket(Uint8Array.from([0, 0, 0, 2, ...ip]), LinkType.LOOP)).toBe(line);
    expect(decodePacket(Uint8Array.from([0, 0, 0, 2]), LinkType.LINUX_SLL2).stop).toEqual({ offset: 0, reason: "SLL2 header needs 20 bytes, 4 present" });
  });

  it("never throws on garbage, whatever the link type", () => {
    const linkTypes = [LinkType.ETHERNET, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.NULL, LinkType.LOOP, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, 147];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...linkTypes), (bytes, linkType) => {
        const text = describePacket(bytes, linkType);
        expect(typeof text).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on a real frame with bytes flipped or cut", () => {
    const frames = [
      udpFrame(),
      eth(mac).qinq(1).vlan(2).ipv6({ src: "::1", dst: "::2", extensions: [{ kind: "routing", addresses: ["::3"] }, { kind: "fragment" }] }).tcp({ srcPort: 1, dstPort: 2, options: [{ kind: "sack", blocks: [[1, 2]] }] }).payload(5).build(),
      eth(mac).ipv4({ src: "1.1.1.1", dst: "2.2.2.2" }).gre({ withChecksum: true, key: 1, sequence: 2 }).eth(mac).ipv4({ src: "3.3.3.3", dst: "4.4.4.4" }).udp({ srcPort: 3, dstPort: 4789 }).vxlan(1).eth(mac).payload(3).build(),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (frame, flips, cutAt) => {
          const bytes = frame.slice(0, (cutAt % frame.length) + 1);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const decoded = decodePacket(bytes);
          if (decoded.stop) expect(decoded.stop.offset).toBeLessThanOrEqual(bytes.length);
          describePacket(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
