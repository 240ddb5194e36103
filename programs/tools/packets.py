"""Packet builders for the expectation generator: plain byte strings built
field by field from the RFCs, with checksums computed from scratch (RFC 1071)
so that they are independent of the incremental updates the programs make.
Standard library only."""
import ipaddress
import struct

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100

IPPROTO_HOPOPTS = 0
IPPROTO_ICMP = 1
IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_AH = 51
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

IP_DF = 0x4000
IP_MF = 0x2000


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def ip4(text):
    return ipaddress.IPv4Address(text).packed


def ip6(text):
    return ipaddress.IPv6Address(text).packed


def checksum(data):
    """RFC 1071 Internet checksum, computed over the whole buffer."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def eth(dst, src, ethertype):
    return mac(dst) + mac(src) + struct.pack("!H", ethertype)


def vlan_tag(vid, pcp=0, dei=0, inner=ETH_P_IP):
    tci = (pcp << 13) | (dei << 12) | vid
    return struct.pack("!HHH", ETH_P_8021Q, tci, inner)


def ipv4(src, dst, proto, payload, ttl=64, tos=0, ident=0x1C46, frag=IP_DF,
         options=b"", tot_len=None):
    """An IPv4 header (with a correct checksum) followed by payload.
    `frag` is the whole flags + fragment-offset field."""
    assert len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    if tot_len is None:
        tot_len = ihl * 4 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, tos, tot_len, ident, frag,
                         ttl, proto, 0, ip4(src), ip4(dst)) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, nexthdr, payload, hop_limit=64, traffic_class=0, flow_label=0):
    first = (6 << 28) | (traffic_class << 20) | flow_label
    return struct.pack("!IHBB16s16s", first, len(payload), nexthdr, hop_limit,
                       ip6(src), ip6(dst)) + payload


def _pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def _pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def _pseudo(src, dst, proto, length):
    return (_pseudo6 if ":" in src else _pseudo4)(src, dst, proto, length)


def udp(src, dst, sport, dport, payload=b""):
    length = 8 + len(payload)
    body = struct.pack("!HHHH", sport, dport, length, 0) + payload
    c = checksum(_pseudo(src, dst, IPPROTO_UDP, length) + body) or 0xFFFF
    return body[:6] + struct.pack("!H", c) + body[8:]


def tcp(src, dst, sport, dport, flags, payload=b"", seq=1000, ack=0, window=64240):
    body = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0) + payload
    c = checksum(_pseudo(src, dst, IPPROTO_TCP, len(body)) + body)
    return body[:16] + struct.pack("!H", c) + body[18:]


def icmp_echo(icmp_type, ident, seq, payload):
    body = struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq) + payload
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def icmpv6_echo_request(src, dst, ident, seq, payload):
    body = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    c = checksum(_pseudo6(src, dst, IPPROTO_ICMPV6, len(body)) + body)
    return body[:2] + struct.pack("!H", c) + body[4:]


def ipv6_opts(nexthdr, length_units=0):
    """A hop-by-hop or destination-options header of (length_units+1)*8 bytes,
    padded with a PadN option (RFC 8200 section 4.2)."""
    remaining = (length_units + 1) * 8 - 2
    options = b""
    while remaining > 0:
        if remaining == 1:
            options += b"\0"  # Pad1
            remaining = 0
            continue
        n = min(remaining - 2, 255)
        options += struct.pack("!BB", 1, n) + bytes(n)
        remaining -= n + 2
    return struct.pack("!BB", nexthdr, length_units) + options


def ipv6_frag(nexthdr, offset_units, more, ident=0x12345678):
    return struct.pack("!BBHI", nexthdr, 0, (offset_units << 3) | int(more), ident)


def ipv6_ah(nexthdr, icv_len=12):
    """An AH header (RFC 4302): 12 fixed bytes + ICV, length in 4-byte units - 2."""
    total = 12 + icv_len
    return struct.pack("!BBHII", nexthdr, total // 4 - 2, 0, 0x100, 1) + bytes(icv_len)


def arp_request(src_mac, src_ip, target_ip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, mac(src_mac), ip4(src_ip),
                       bytes(6), ip4(target_ip))


def u16le(v):
    return struct.pack("<H", v)


def u32le(v):
    return struct.pack("<I", v)


def u64le(v):
    return struct.pack("<Q", v)
