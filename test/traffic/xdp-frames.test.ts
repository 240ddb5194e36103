// Captured packets as the Ethernet frames an XDP program sees (src/traffic/xdp-frames.ts),
// on packets written byte by byte from the link-type definitions (tcpdump.org linktypes
// pages) and the RFCs, not with the project's builders.
import { describe, expect, it } from "vitest";
import type { CapturedPacket } from "../../src/traffic/captured-packet.ts";
import { LinkTypeError } from "../../src/traffic/errors.ts";
import { xdpFrames } from "../../src/traffic/xdp-frames.ts";

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const hex = (text: string): Uint8Array => Uint8Array.from(text.replace(/[\s:]/g, "").match(/../g) ?? [], (pair) => parseInt(pair, 16));

function captured(linkType: number, data: Uint8Array, originalLength = data.length): CapturedPacket {
  return { timestampNs: 0n, data, originalLength, linkType, interfaceId: 0, sectionIndex: 0 };
}

// IPv4 header, 20 bytes, protocol UDP, to `dst`; total length 28 (an 8-byte UDP header follows).
const ipv4To = (dst: string): string => `4500001c 0000 0000 4011 0000 0a000001 ${dst} 1234 0035 0008 0000`;
const IPV4_UNICAST = ipv4To("0a000002");

describe("xdpFrames", () => {
  it("hands an Ethernet frame over as it is, VLAN and QinQ tags included", () => {
    const frames = xdpFrames("t.pcap");
    const qinq = hex(`020000000002 020000000001 88a8 00c8 8100 0064 0800 ${IPV4_UNICAST}`);
    expect(frames.frameOf(captured(1, qinq))).toBe(qinq);
    expect(frames.notes()).toEqual([]);
  });

  it("pads an Ethernet frame the snapshot length cut to its length on the wire, with zeros, and says so once with the counts", () => {
    const frames = xdpFrames("t.pcap");
    const head = hex(`020000000002 020000000001 0800 ${IPV4_UNICAST}`);
    const first = frames.frameOf(captured(1, head, 100));
    expect(first?.length).toBe(100);
    expect(toHex(first!.subarray(0, head.length))).toBe(toHex(head));
    expect(first!.subarray(head.length).every((byte) => byte === 0)).toBe(true);
    frames.frameOf(captured(1, head, 60));
    // 100 - 42 + 60 - 42 bytes added.
    expect(frames.notes()).toEqual(["t.pcap: 2 packets cut short by the capture's snapshot length were padded with zero bytes to their length on the wire (76 bytes added)."]);
  });

  it("cuts frames to one linear XDP frame, 4096 - 256 headroom - 320 skb_shared_info = 3520 bytes: jumbo frames and GRO super-packets", () => {
    const frames = xdpFrames("t.pcap");
    const jumbo = Uint8Array.from({ length: 9000 }, (_, i) => i & 0xff);
    const cut = frames.frameOf(captured(1, jumbo));
    expect(cut?.length).toBe(3520);
    expect(toHex(cut!)).toBe(toHex(jumbo.subarray(0, 3520)));
    // tcpdump -s 96 on a host with GRO: 96 of a 65014-byte packet; an original length that is no frame at all.
    expect(frames.frameOf(captured(1, jumbo.subarray(0, 96), 65014))?.length).toBe(3520);
    expect(frames.frameOf(captured(1, jumbo.subarray(0, 96), 4_000_000_000))?.length).toBe(3520);
    // An SLL packet: 14 + 9000 - 16 bytes on the wire, cut to 3520 as well.
    expect(frames.frameOf(captured(113, Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 0x08, 0x00, ...jumbo.subarray(0, 80)]), 9000))?.length).toBe(3520);
    expect(frames.notes()).toEqual([
      "t.pcap: 1 packet of link type LINUX_SLL was given an Ethernet header (XDP programs see Ethernet frames): the type from the capture, source MAC the recorded sender's or 02:00:00:00:00:01, destination 02:00:00:00:00:02 (broadcast and IP multicast: their group MAC).",
      // 3520 - 96 twice, 3520 - 14 - 80 once.
      "t.pcap: 3 packets cut short by the capture's snapshot length were padded with zero bytes to their length on the wire (10274 bytes added).",
      "t.pcap: 4 packets longer than the 3520 bytes of one linear XDP frame (GRO/TSO super-packets or jumbo frames; multi-buffer XDP is not modelled) were cut to it.",
    ]);
  });

  it("gives a Linux cooked (SLL) packet an Ethernet header: the sender's MAC, the protocol type, the packet after the 16-byte header", () => {
    // packet type 0 (to us), ARPHRD_ETHER 1, address length 6, address 02:aa:bb:cc:dd:ee + 2 pad bytes, protocol 0x0800.
    const sll = hex(`0000 0001 0006 02aabbccddee 0000 0800 ${IPV4_UNICAST}`);
    const frame = xdpFrames("t.pcap").frameOf(captured(113, sll));
    expect(toHex(frame!)).toBe(toHex(hex(`020000000002 02aabbccddee 0800 ${IPV4_UNICAST}`)));
  });

  it("reads SLL2's own layout: protocol first, packet type and address length as single bytes", () => {
    // protocol 0x86dd, reserved, ifindex 3, ARPHRD_ETHER, packet type 1 (broadcast), length 6, address, 2 pad bytes.
    const ipv6 = "60000000 0000 3b40 20010db8000000000000000000000001 20010db8000000000000000000000002";
    const sll2 = hex(`86dd 0000 00000003 0001 01 06 02aabbccddee 0000 ${ipv6}`);
    const frame = xdpFrames("t.pcap").frameOf(captured(276, sll2));
    expect(toHex(frame!)).toBe(toHex(hex(`ffffffffffff 02aabbccddee 86dd ${ipv6}`)));
  });

  it("uses the fixed source MAC when the cooked header's address is not an Ethernet MAC (a tun device, ARPHRD_NONE)", () => {
    const sll = hex(`0004 fffe 0000 0000000000000000 0800 ${IPV4_UNICAST}`);
    const frame = xdpFrames("t.pcap").frameOf(captured(113, sll));
    expect(toHex(frame!.subarray(0, 14))).toBe("020000000002020000000001" + "0800");
  });

  it("keeps a VLAN tag the cooked header announces (protocol 0x8100): the tag follows the MACs", () => {
    const sll = hex(`0000 0001 0006 02aabbccddee 0000 8100 0007 0800 ${IPV4_UNICAST}`);
    const frame = xdpFrames("t.pcap").frameOf(captured(113, sll));
    expect(toHex(frame!)).toBe(toHex(hex(`020000000002 02aabbccddee 8100 0007 0800 ${IPV4_UNICAST}`)));
  });

  it("writes an 802.3 length field for SLL protocol ETH_P_802_2 (an LLC frame)", () => {
    // An LLC header (DSAP 0x42, SSAP 0x42, UI) and 5 bytes: 8 bytes of payload.
    const sll = hex("0001 0001 0006 02aabbccddee 0000 0004 424203 0102030405");
    const frame = xdpFrames("t.pcap").frameOf(captured(113, sll));
    expect(toHex(frame!)).toBe(toHex(hex("ffffffffffff 02aabbccddee 0008 424203 0102030405")));
  });

  it("maps IP multicast destinations to their group MACs (RFC 1112 6.4, RFC 2464 7) and 255.255.255.255 to broadcast", () => {
    const frames = xdpFrames("t.pcap");
    const dst = (raw: string): string => toHex(frames.frameOf(captured(101, hex(raw)))!.subarray(0, 6));
    // 224.0.0.251: 01:00:5e and the low 23 bits 00:00:fb.
    expect(dst(ipv4To("e00000fb"))).toBe("01005e0000fb");
    // 239.255.128.1: the 24th bit from the right (0x80 of the second byte) is dropped: 7f:80:01.
    expect(dst(ipv4To("efff8001"))).toBe("01005e7f8001");
    expect(dst(ipv4To("ffffffff"))).toBe("ffffffffffff");
    // ff02::1:ff00:1234: 33:33 and the last 32 bits.
    expect(dst("60000000 0000 3bff fe800000000000000000000000000001 ff0200000000000000000001ff001234")).toBe("3333ff001234");
  });

  it("turns raw IP, IPv4, IPv6, BSD NULL (either byte order) and OpenBSD LOOP packets into frames of their IP version", () => {
    const v4 = hex(IPV4_UNICAST);
    const v6 = hex("60000000 0000 3b40 20010db8000000000000000000000001 20010db8000000000000000000000002");
    const frames = xdpFrames("t.pcap");
    const typeOf = (linkType: number, data: Uint8Array): string => toHex(frames.frameOf(captured(linkType, data))!.subarray(12, 14));
    expect(typeOf(101, v4)).toBe("0800");
    expect(typeOf(101, v6)).toBe("86dd");
    expect(typeOf(228, v4)).toBe("0800");
    expect(typeOf(229, v6)).toBe("86dd");
    // NULL: AF_INET 2 little-endian (an x86 host), AF_INET6 30 (macOS) big-endian.
    expect(typeOf(0, hex(`02000000 ${IPV4_UNICAST}`))).toBe("0800");
    expect(typeOf(0, Uint8Array.from([0, 0, 0, 30, ...v6]))).toBe("86dd");
    // LOOP: network byte order only; AF_INET6 24 (OpenBSD).
    expect(typeOf(108, Uint8Array.from([0, 0, 0, 24, ...v6]))).toBe("86dd");
    const frame = xdpFrames("t.pcap").frameOf(captured(108, Uint8Array.from([0, 0, 0, 2, ...v4])));
    expect(toHex(frame!)).toBe(toHex(hex(`020000000002 020000000001 0800 ${IPV4_UNICAST}`)));
    expect(frames.notes()).toEqual([
      "t.pcap: 2 packets of link type RAW, 1 packet of link type IPV4, 1 packet of link type IPV6, 2 packets of link type NULL and 1 packet of link type LOOP were given an Ethernet header (XDP programs see Ethernet frames): the type from the capture, source MAC the recorded sender's or 02:00:00:00:00:01, destination 02:00:00:00:00:02 (broadcast and IP multicast: their group MAC).",
    ]);
  });

  it("pads a converted packet to its wire length: 14 + the original length - the link header", () => {
    const sll = hex(`0000 0001 0006 02aabbccddee 0000 0800 ${IPV4_UNICAST}`);
    // tcpdump -s 44: 44 of a 116-byte SLL packet.
    const frame = xdpFrames("t.pcap").frameOf(captured(113, sll.subarray(0, 44), 116));
    expect(frame?.length).toBe(14 + 116 - 16);
    expect(toHex(frame!.subarray(14, 14 + 28))).toBe(toHex(sll.subarray(16, 44)));
  });

  it("leaves out packets it cannot read the link header of, or whose protocol Ethernet does not carry, and counts them", () => {
    const frames = xdpFrames("t.pcap");
    expect(frames.frameOf(captured(276, hex("0800 0000 0000"), 60))).toBeUndefined();
    // SLL protocol 0x000c: a CAN frame.
    expect(frames.frameOf(captured(113, hex("0000 0118 0000 0000000000000000 000c 0102030405060708")))).toBeUndefined();
    expect(frames.frameOf(captured(101, hex("5500")))).toBeUndefined();
    expect(frames.frameOf(captured(0, hex("07000000 45")))).toBeUndefined();
    expect(frames.notes()).toEqual([
      "t.pcap: 4 packets left out, having no Ethernet equivalent: 1 as SLL2 header needs 20 bytes, 6 present; 1 as SLL protocol 0x000c is not something Ethernet carries; 1 as raw IP packet has version 5; 1 more reason.",
    ]);
  });

  it("refuses a link type it cannot convert in one sentence naming the file, the packet and the link type", () => {
    const frames = xdpFrames("air.pcap");
    frames.frameOf(captured(1, new Uint8Array(60)));
    expect(() => frames.frameOf(captured(105, new Uint8Array(40)))).toThrow(LinkTypeError);
    expect(() => xdpFrames("air.pcap").frameOf(captured(127, new Uint8Array(40)))).toThrow(
      "air.pcap: packet 1 has link type IEEE802_11_RADIOTAP (127), which offload-sim cannot turn into the Ethernet frame an XDP program sees (it converts ETHERNET, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP).",
    );
  });
});
