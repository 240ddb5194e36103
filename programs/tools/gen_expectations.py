#!/usr/bin/env python3
"""Writes programs/expectations.json and programs/maps/*.json.

Every expected result below is derived by hand from the C source of the
program (its header comment and code), the RFCs and the kernel's documented
helper semantics, and written here as an explicit transformation of the input
packet; nothing is produced by running a program. tools/check_kernel.py then
runs each case through the real kernel (BPF_PROG_TEST_RUN via bpftool) and
reports any disagreement.

Usage: python3 programs/tools/gen_expectations.py
"""
import json
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(__file__))
from packets import *  # noqa: E402,F401,F403

PROGRAMS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ACTIONS = {"XDP_ABORTED": 0, "XDP_DROP": 1, "XDP_PASS": 2, "XDP_TX": 3, "XDP_REDIRECT": 4}

NIC_MAC = "02:00:00:00:00:01"    # the port the program is attached to
PEER_MAC = "02:00:00:00:00:02"   # whoever sent the frame
CLIENT4, SERVER4 = "192.0.2.10", "192.0.2.1"
CLIENT6, SERVER6 = "2001:db8::10", "2001:db8::1"


def h(data):
    return data.hex()


def entry(key, value, value_mask=None):
    e = {"key": h(key), "value": h(value)}
    if value_mask is not None:
        e["valueMask"] = h(value_mask)
    return e


def case(name, packet, action, packet_out=None, maps=None, expected_maps=None, **extra):
    """packet_out defaults to the input (the program leaves the bytes alone)."""
    expected = {
        "action": action,
        "retval": ACTIONS[action],
        "packetOut": h(packet if packet_out is None else packet_out),
    }
    if expected_maps:
        expected["maps"] = {n: {"entries": es} for n, es in expected_maps.items()}
    c = {"name": name, "packet": h(packet)}
    if maps:
        c["maps"] = {n: {"entries": es} for n, es in maps.items()}
    c.update(extra)
    c["expected"] = expected
    return c


def frame4(proto, l4, src=CLIENT4, dst=SERVER4, **ip_kw):
    return eth(NIC_MAC, PEER_MAC, ETH_P_IP) + ipv4(src, dst, proto, l4, **ip_kw)


def frame6(nexthdr, payload, src=CLIENT6, dst=SERVER6, **ip_kw):
    return eth(NIC_MAC, PEER_MAC, ETH_P_IPV6) + ipv6(src, dst, nexthdr, payload, **ip_kw)


def udp4(sport, dport, payload=b"hello", src=CLIENT4, dst=SERVER4, **ip_kw):
    return frame4(IPPROTO_UDP, udp(src, dst, sport, dport, payload), src, dst, **ip_kw)


def tcp4(sport, dport, flags, payload=b"", src=CLIENT4, dst=SERVER4, **ip_kw):
    return frame4(IPPROTO_TCP, tcp(src, dst, sport, dport, flags, payload), src, dst, **ip_kw)


def arp_frame():
    return eth("ff:ff:ff:ff:ff:ff", PEER_MAC, ETH_P_ARP) + arp_request(PEER_MAC, CLIENT4, SERVER4)


def swap_macs(frame):
    return frame[6:12] + frame[0:6] + frame[12:]


# --------------------------------------------------------------------------
def xdp_pass():
    return [
        case("passes an IPv4 UDP datagram unchanged", udp4(40000, 53), "XDP_PASS"),
        case("passes a bare 14-byte Ethernet header unchanged",
             eth(NIC_MAC, PEER_MAC, 0x88B5), "XDP_PASS"),
    ]


def xdp_drop():
    return [
        case("drops an IPv4 UDP datagram", udp4(40000, 53), "XDP_DROP"),
        case("drops an ARP request", arp_frame(), "XDP_DROP"),
    ]


def xdp_mac_swap():
    p = udp4(40000, 9, b"reflect me")
    bare = eth(NIC_MAC, PEER_MAC, 0x88B5)
    return [
        case("swaps the MAC addresses of an IPv4 frame and transmits it", p, "XDP_TX",
             swap_macs(p), description="bytes 0-5 and 6-11 exchanged, the rest unchanged"),
        case("reflects a bare 14-byte Ethernet header", bare, "XDP_TX", swap_macs(bare)),
    ]


def stats(packets, nbytes):
    return u64le(packets) + u64le(nbytes)


def xdp_proto_count():
    u = udp4(40000, 53, b"x" * 18)
    t6 = frame6(IPPROTO_TCP, tcp(CLIENT6, SERVER6, 40000, 443, TCP_SYN))
    arp = arp_frame()
    short4 = eth(NIC_MAC, PEER_MAC, ETH_P_IP) + bytes(10)
    return [
        case("counts an IPv4 UDP datagram under protocol 17", u, "XDP_PASS",
             expected_maps={"proto_stats": [entry(u32le(17), stats(1, len(u)))]}),
        case("counts an IPv6 TCP segment under next header 6", t6, "XDP_PASS",
             expected_maps={"proto_stats": [entry(u32le(6), stats(1, len(t6)))]}),
        case("counts an ARP frame under the unparsed slot 255", arp, "XDP_PASS",
             expected_maps={"proto_stats": [entry(u32le(255), stats(1, len(arp)))]}),
        case("counts a truncated IPv4 header under slot 255", short4, "XDP_PASS",
             expected_maps={"proto_stats": [entry(u32le(255), stats(1, len(short4)))]}),
    ]


def fw_key(family, proto, src, dst, sport=0, dport=0):
    addr = ip4 if family == 4 else ip6
    return (struct.pack("!BBHHH", family, proto, sport, dport, 0) +
            addr(src).ljust(16, b"\0") + addr(dst).ljust(16, b"\0"))


def xdp_firewall():
    k_tcp = fw_key(4, IPPROTO_TCP, CLIENT4, SERVER4, 40000, 22)
    k_udp6 = fw_key(6, IPPROTO_UDP, CLIENT6, SERVER6, 5353, 53)
    k_icmp = fw_key(4, IPPROTO_ICMP, CLIENT4, SERVER4)
    k_frag = fw_key(4, IPPROTO_UDP, CLIENT4, SERVER4)  # ports zero: non-first fragment
    blocklist = [entry(k_tcp, u64le(0)), entry(k_udp6, u64le(41)),
                 entry(k_icmp, u64le(0)), entry(k_frag, u64le(0))]

    def after(changed):
        out = []
        for e in blocklist:
            out.append(changed.get(e["key"], e))
        return out

    ssh = tcp4(40000, 22, TCP_SYN)
    ssh_other_port = tcp4(40001, 22, TCP_SYN)
    dns6 = frame6(IPPROTO_UDP, udp(CLIENT6, SERVER6, 5353, 53, b"q"))
    ping = frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, b"ping"))
    frag_later = frame4(IPPROTO_UDP, b"later fragment bytes", frag=0x00B9)  # offset 185*8
    frag_first = udp4(40000, 22, b"first", frag=IP_MF)
    nop_options = bytes([1, 1, 1, 0])
    ssh_opts = tcp4(40000, 22, TCP_SYN, options=nop_options)
    trunc_tcp = frame4(IPPROTO_TCP, tcp(CLIENT4, SERVER4, 40000, 22, TCP_SYN)[:10])
    m = {"blocklist": blocklist}
    return [
        case("drops a blocked IPv4 TCP 5-tuple and counts the hit", ssh, "XDP_DROP", maps=m,
             expected_maps={"blocklist": after({h(k_tcp): entry(k_tcp, u64le(1))})}),
        case("passes the same flow from another source port", ssh_other_port, "XDP_PASS",
             maps=m, expected_maps={"blocklist": blocklist}),
        case("drops a blocked IPv6 UDP 5-tuple and increments its counter 41 -> 42", dns6,
             "XDP_DROP", maps=m,
             expected_maps={"blocklist": after({h(k_udp6): entry(k_udp6, u64le(42))})}),
        case("drops blocked IPv4 ICMP, keyed with zero ports", ping, "XDP_DROP", maps=m,
             expected_maps={"blocklist": after({h(k_icmp): entry(k_icmp, u64le(1))})}),
        case("keys a non-first IPv4 fragment with zero ports", frag_later, "XDP_DROP", maps=m,
             expected_maps={"blocklist": after({h(k_frag): entry(k_frag, u64le(1))})}),
        case("keys a first fragment (MF set, offset 0) with its real ports", frag_first,
             "XDP_PASS", maps=m, expected_maps={"blocklist": blocklist},
             description="ports 40000->22 over UDP are not blocked; the zero-port UDP entry must not match"),
        case("finds the TCP ports behind IPv4 options (IHL 6)", ssh_opts, "XDP_DROP", maps=m,
             expected_maps={"blocklist": after({h(k_tcp): entry(k_tcp, u64le(1))})}),
        case("passes a TCP header truncated to 10 bytes", trunc_tcp, "XDP_PASS", maps=m,
             expected_maps={"blocklist": blocklist}),
        case("passes ARP", arp_frame(), "XDP_PASS", maps=m),
        case("passes a blocked-looking flow when the blocklist is empty", ssh, "XDP_PASS"),
    ]


def lpm_key(prefixlen, addr):
    return u32le(prefixlen) + ip4(addr)


def xdp_lpm_filter():
    rules = [entry(lpm_key(8, "10.0.0.0"), u32le(1)),
             entry(lpm_key(24, "10.1.2.0"), u32le(2)),
             entry(lpm_key(25, "192.0.2.128"), u32le(1))]
    m = {"src_prefixes": rules}
    return [
        case("drops a source inside 10.0.0.0/8", udp4(1000, 53, src="10.9.8.7"), "XDP_DROP", maps=m),
        case("passes a source in the more specific allow prefix 10.1.2.0/24",
             udp4(1000, 53, src="10.1.2.3"), "XDP_PASS", maps=m),
        case("drops a source inside 192.0.2.128/25", udp4(1000, 53, src="192.0.2.200"),
             "XDP_DROP", maps=m),
        case("passes 192.0.2.5, outside every prefix", udp4(1000, 53, src="192.0.2.5"),
             "XDP_PASS", maps=m),
        case("passes IPv6 (not looked up)", frame6(IPPROTO_UDP, udp(CLIENT6, SERVER6, 1, 2)),
             "XDP_PASS", maps=m),
        case("passes everything when the trie is empty", udp4(1000, 53, src="10.9.8.7"),
             "XDP_PASS"),
    ]


U64_MAX = (1 << 64) - 1
NO_MASK = b"\xff" * 8
ANY_U64 = b"\0" * 8


def bucket(tokens, last_ns):
    return u64le(tokens) + u64le(last_ns)


def xdp_syn_limit():
    src = "198.51.100.23"
    key = ip4(src)
    syn = tcp4(40000, 80, TCP_SYN, src=src)
    synack = tcp4(40000, 80, TCP_SYN | TCP_ACK, src=src)
    u = udp4(40000, 80, src=src)
    future = U64_MAX  # a last_ns the clock never reaches: no refill
    clock = {"ktimeNsAtLeast": 100_000_000,
             "assumes": "bpf_ktime_get_ns() returns at least 0.1 s (10 token periods)"}
    return [
        case("passes the first SYN of a new source and creates its bucket with 9 tokens",
             syn, "XDP_PASS", expected_maps={"syn_buckets": [
                 entry(key, bucket(SYN_BURST - 1, 0), NO_MASK + ANY_U64)]},
             description="last_ns is the time of the call (not compared)", **clock),
        case("drops a SYN when the bucket is empty and no time has passed", syn, "XDP_DROP",
             maps={"syn_buckets": [entry(key, bucket(0, future))]},
             expected_maps={"syn_buckets": [entry(key, bucket(0, future))]}),
        case("passes a SYN and takes a token (3 -> 2)", syn, "XDP_PASS",
             maps={"syn_buckets": [entry(key, bucket(3, future))]},
             expected_maps={"syn_buckets": [entry(key, bucket(2, future))]}),
        case("refills an empty bucket idle for long to the burst, then takes one", syn,
             "XDP_PASS", maps={"syn_buckets": [entry(key, bucket(0, 0))]},
             expected_maps={"syn_buckets": [entry(key, bucket(SYN_BURST - 1, 0), NO_MASK + ANY_U64)]},
             description="earned tokens are capped at the burst (10); last_ns becomes now (not compared)",
             **clock),
        case("passes a SYN-ACK even with an empty bucket", synack, "XDP_PASS",
             maps={"syn_buckets": [entry(key, bucket(0, future))]},
             expected_maps={"syn_buckets": [entry(key, bucket(0, future))]}),
        case("passes UDP without touching the table", u, "XDP_PASS", expected_maps={"syn_buckets": []}),
    ]


SYN_BURST = 10

# ---- xdp_l4_lb -----------------------------------------------------------
CH_RING_SIZE = 17
LB_TUNNEL_SRC = "172.16.0.1"
LB_GATEWAY_MAC = "02:00:00:00:00:fe"
LB_BACKENDS = ["172.16.0.10", "172.16.0.11", "172.16.0.12", "172.16.0.20", "172.16.0.21"]
VIP = "10.0.0.100"
VIP_DEAD = "10.0.0.101"
M32 = 0xFFFFFFFF


def mix32(x):
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    x ^= x >> 16
    return x


def lb_flow_hash(saddr, daddr, sport, dport, proto):
    a = int.from_bytes(ip4(saddr), "big")
    b = int.from_bytes(ip4(daddr), "big")
    x = mix32(a)
    x = mix32(x ^ b)
    x = mix32(x ^ ((sport << 16) | dport))
    return mix32(x ^ proto)


def lb_ring_row(row):
    # row 0: backends 0,1,2 round-robin; row 1: backends 3,4; row 2: backend 5 (address 0)
    return {0: lambda i: i % 3, 1: lambda i: 3 + i % 2, 2: lambda i: 5}[row]


def lb_maps():
    def vip_key(addr, port, proto):
        return ip4(addr) + struct.pack("!H", port) + bytes([proto, 0])
    vips = [entry(vip_key(VIP, 80, IPPROTO_TCP), u32le(0)),
            entry(vip_key(VIP, 53, IPPROTO_UDP), u32le(1)),
            entry(vip_key(VIP_DEAD, 80, IPPROTO_TCP), u32le(2))]
    ring = [entry(u32le(row * CH_RING_SIZE + i), u32le(lb_ring_row(row)(i)))
            for row in range(3) for i in range(CH_RING_SIZE)]
    backends = [entry(u32le(i), ip4(a)) for i, a in enumerate(LB_BACKENDS)]
    cfg = [entry(u32le(0), ip4(LB_TUNNEL_SRC) + mac(LB_GATEWAY_MAC) + bytes(2))]
    return {"vips": vips, "ch_ring": ring, "backends": backends, "lb_config": cfg}


def lb_encap(frame, row, src, sport, dport, proto):
    """The frame as xdp_l4_lb leaves it: new Ethernet header, outer IPv4, inner IPv4."""
    slot = lb_flow_hash(src, VIP, sport, dport, proto) % CH_RING_SIZE
    backend = LB_BACKENDS[lb_ring_row(row)(slot)]
    inner = frame[14:]
    outer = ipv4(LB_TUNNEL_SRC, backend, IPPROTO_IPIP, inner, ttl=64, tos=inner[1],
                 ident=0, frag=0)
    vip_mac = frame[0:6].hex(":")
    return eth(LB_GATEWAY_MAC, vip_mac, ETH_P_IP) + outer, slot, backend


def xdp_l4_lb():
    m = lb_maps()
    cases = []
    for sport in (40000, 40001, 51515):
        p = tcp4(sport, 80, TCP_SYN, src="198.51.100.10", dst=VIP, tos=0x10)
        out, slot, backend = lb_encap(p, 0, "198.51.100.10", sport, 80, IPPROTO_TCP)
        cases.append(case(
            "encapsulates TCP from port %d to backend %s (ring slot %d)" % (sport, backend, slot),
            p, "XDP_TX", out, maps=m,
            description="20 bytes longer: Ethernet to the gateway MAC from the VIP's MAC, outer IPv4 "
                        "%s -> %s proto 4 TTL 64 id 0 with the inner TOS, then the inner packet" %
                        (LB_TUNNEL_SRC, backend)))
    d = udp4(33000, 53, b"dns?", src="203.0.113.77", dst=VIP)
    out, slot, backend = lb_encap(d, 1, "203.0.113.77", 33000, 53, IPPROTO_UDP)
    cases.append(case("encapsulates UDP to the DNS service to backend %s (slot %d)" % (backend, slot),
                      d, "XDP_TX", out, maps=m))
    big = tcp4(40000, 80, TCP_ACK, b"z" * (1480 - 40), src="198.51.100.10", dst=VIP)
    out, _, _ = lb_encap(big, 0, "198.51.100.10", 40000, 80, IPPROTO_TCP)
    cases.append(case("encapsulates an inner packet of exactly 1480 bytes", big, "XDP_TX", out, maps=m))
    cases += [
        case("passes an inner packet of 1481 bytes (would exceed the 1500-byte MTU)",
             tcp4(40000, 80, TCP_ACK, b"z" * (1481 - 40), src="198.51.100.10", dst=VIP),
             "XDP_PASS", maps=m),
        case("passes traffic to a port that is not a service",
             tcp4(40000, 443, TCP_SYN, src="198.51.100.10", dst=VIP), "XDP_PASS", maps=m),
        case("drops a service packet whose ring slot names a backend with address 0",
             tcp4(40000, 80, TCP_SYN, src="198.51.100.10", dst=VIP_DEAD), "XDP_DROP", maps=m),
        case("passes a fragment of a service flow",
             tcp4(40000, 80, TCP_SYN, src="198.51.100.10", dst=VIP, frag=IP_MF), "XDP_PASS", maps=m),
        case("passes a service packet with IP options",
             tcp4(40000, 80, TCP_SYN, src="198.51.100.10", dst=VIP, options=bytes([1, 1, 1, 0])),
             "XDP_PASS", maps=m),
        case("passes ICMP to the VIP", frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, b""), dst=VIP),
             "XDP_PASS", maps=m),
        case("passes service traffic when no maps are filled",
             tcp4(40000, 80, TCP_SYN, src="198.51.100.10", dst=VIP), "XDP_PASS"),
    ]
    return cases


# ---- xdp_vlan --------------------------------------------------------------
def xdp_vlan():
    rules = [entry(u16le(0), u16le(100)), entry(u16le(100), u16le(0)),
             entry(u16le(200), u16le(300))]
    m = {"vlan_xlate": rules}
    macs = mac(NIC_MAC) + mac(PEER_MAC)
    l3 = ipv4(CLIENT4, SERVER4, IPPROTO_UDP, udp(CLIENT4, SERVER4, 1000, 2000, b"vlan"))
    untagged = macs + struct.pack("!H", ETH_P_IP) + l3
    tagged = lambda vid, pcp=0, dei=0: macs + vlan_tag(vid, pcp, dei) + l3  # noqa: E731
    return [
        case("pushes VLAN 100 onto an untagged frame", untagged, "XDP_PASS",
             macs + vlan_tag(100) + l3, maps=m,
             description="4 bytes longer: 81 00 00 64 inserted after the MACs"),
        case("pops the tag of VLAN 100", tagged(100, pcp=5), "XDP_PASS", untagged, maps=m,
             description="4 bytes shorter"),
        case("rewrites VLAN 200 to 300 keeping priority 3 and DEI", tagged(200, 3, 1), "XDP_PASS",
             tagged(300, 3, 1), maps=m),
        case("leaves a frame of an unlisted VLAN alone", tagged(42, 1), "XDP_PASS", maps=m),
        case("leaves untagged frames alone when entry 0 is absent", untagged, "XDP_PASS",
             maps={"vlan_xlate": rules[1:]}),
        case("passes a tagged frame cut inside its tag", macs + struct.pack("!HH", ETH_P_8021Q, 100),
             "XDP_PASS", maps=m),
    ]


# ---- xdp_icmp_echo ---------------------------------------------------------
def echo_reply_of(frame, ihl_bytes, icmp_checksum=None):
    """Builds the expected reply independently: fields set, checksums recomputed
    in full, unless icmp_checksum gives the value derived by hand."""
    ip = bytearray(frame[14:14 + ihl_bytes])
    icmp = bytearray(frame[14 + ihl_bytes:])
    ip[12:16], ip[16:20] = bytes(frame[30:34]), bytes(frame[26:30])
    ip[8] = 64
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)) if icmp_checksum is None else icmp_checksum)
    return swap_macs(frame[:14]) + bytes(ip) + bytes(icmp)


def xdp_icmp_echo():
    payload = bytes(range(32))
    ping = frame4(IPPROTO_ICMP, icmp_echo(8, 0x1234, 1, payload), ttl=17)
    ping_opts = frame4(IPPROTO_ICMP, icmp_echo(8, 0xBEEF, 7, b"opt"), ttl=200,
                       options=bytes([1, 1, 1, 0]))
    ping_zero = frame4(IPPROTO_ICMP, icmp_echo(8, 0, 0, b""), ttl=64)
    return [
        case("answers an echo request: MACs and IPs swapped, TTL 64, type 0, checksums fixed",
             ping, "XDP_TX", echo_reply_of(ping, 20)),
        case("answers an echo request carrying IP options (IHL 6)", ping_opts, "XDP_TX",
             echo_reply_of(ping_opts, 24)),
        # The reply's ICMP words are all zero. RFC 1624 eqn. 3 (as the program and the kernel's
        # csum_replace2 compute it): ~(~0xf7ff + ~0x0800 + 0x0000) = ~(0x0800 + 0xf7ff) = ~0xffff
        # = 0x0000, where a from-scratch checksum of all-zero words would be 0xffff.
        case("answers an all-zero echo request: the incremental ICMP checksum becomes 0x0000",
             ping_zero, "XDP_TX", echo_reply_of(ping_zero, 20, icmp_checksum=0x0000),
             description="the one boundary where RFC 1624 eqn. 3 differs from recomputation "
                         "(0xffff): the new message sums to zero; the kernel gives 0x0000 too"),
        case("passes an echo reply", frame4(IPPROTO_ICMP, icmp_echo(0, 1, 1, payload)), "XDP_PASS"),
        case("passes an echo request to multicast 224.0.0.1",
             frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, payload), dst="224.0.0.1"), "XDP_PASS"),
        case("passes an echo request to the limited broadcast address",
             frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, payload), dst="255.255.255.255"), "XDP_PASS"),
        case("passes a fragmented echo request (MF set)",
             frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, payload), frag=IP_MF), "XDP_PASS"),
        case("passes an ICMP header cut to 4 bytes",
             frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, b"")[:4]), "XDP_PASS"),
        case("passes UDP", udp4(1, 2), "XDP_PASS"),
    ]


# ---- xdp_router ------------------------------------------------------------
# The kernel check builds this network namespace (tools/check_kernel.py); an
# interpreter models bpf_fib_lookup with the per-case "fib" results.
ROUTER_NETNS = {
    "description": "a network namespace with forwarding enabled; test runs enter it on lo (ifindex 1)",
    "links": [{"name": "osim0", "ifindex": 7, "mac": "02:00:00:00:07:07", "peer": "osim0p",
               "addresses": ["198.51.100.1/24", "2001:db8:1::1/64"]}],
    "routes": [{"dst": "203.0.113.0/24", "type": "blackhole"},
               {"dst": "203.0.114.0/24", "type": "unreachable"}],
    "neighbours": [{"dst": "198.51.100.7", "mac": "02:00:00:00:07:99", "dev": "osim0"},
                   {"dst": "2001:db8:1::7", "mac": "02:00:00:00:07:99", "dev": "osim0"}],
}
ROUTER_EGRESS = 7
ROUTER_EGRESS_MAC = "02:00:00:00:07:07"
NEXT_HOP_MAC = "02:00:00:00:07:99"


def routed4(frame):
    ip = bytearray(frame[14:34])
    ip[8] -= 1
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    return mac(NEXT_HOP_MAC) + mac(ROUTER_EGRESS_MAC) + frame[12:14] + bytes(ip) + frame[34:]


def routed6(frame):
    out = bytearray(frame)
    out[0:6], out[6:12] = mac(NEXT_HOP_MAC), mac(ROUTER_EGRESS_MAC)
    out[14 + 7] -= 1
    return bytes(out)


def xdp_router():
    tx = {"tx_ports": [entry(u32le(ROUTER_EGRESS), u32le(ROUTER_EGRESS))]}
    ok = {"ret": "SUCCESS", "ifindex": ROUTER_EGRESS, "smac": ROUTER_EGRESS_MAC, "dmac": NEXT_HOP_MAC}
    p4 = udp4(40000, 53, b"route me", dst="198.51.100.7", ttl=64)
    p6 = frame6(IPPROTO_UDP, udp(CLIENT6, "2001:db8:1::7", 40000, 53, b"v6"), dst="2001:db8:1::7")
    env = {"environment": "router-netns"}
    return [
        case("forwards IPv4: TTL 64 -> 63, checksum updated, MACs from the neighbour table",
             p4, "XDP_REDIRECT", routed4(p4), maps=tx, fib=ok, **env),
        case("forwards IPv6: hop limit 64 -> 63, MACs rewritten", p6, "XDP_REDIRECT", routed6(p6),
             maps=tx, fib=ok, **env),
        case("passes when the egress port is not in tx_ports", p4, "XDP_PASS", fib=ok, **env),
        case("passes TTL 1 to the stack without a lookup",
             udp4(40000, 53, dst="198.51.100.7", ttl=1), "XDP_PASS", maps=tx, **env),
        case("drops a destination with a blackhole route",
             udp4(40000, 53, dst="203.0.113.9"), "XDP_DROP", maps=tx, fib={"ret": "BLACKHOLE"}, **env),
        case("drops a destination with an unreachable route",
             udp4(40000, 53, dst="203.0.114.9"), "XDP_DROP", maps=tx, fib={"ret": "UNREACHABLE"}, **env),
        case("passes a next hop without a neighbour entry",
             udp4(40000, 53, dst="198.51.100.99"), "XDP_PASS", maps=tx, fib={"ret": "NO_NEIGH"}, **env),
        case("passes a local destination", udp4(40000, 53, dst="198.51.100.1"), "XDP_PASS",
             maps=tx, fib={"ret": "NOT_FWDED"}, **env),
        case("passes ARP", arp_frame(), "XDP_PASS", maps=tx, **env),
    ]


# ---- xdp_ipv6_exthdr -------------------------------------------------------
def xdp_ipv6_exthdr():
    deny = [entry(u16le(53), u64le(0)), entry(u16le(8080), u64le(5))]
    m = {"deny_ports": deny}

    def hit(port, count):
        return {"deny_ports": [entry(u16le(53), u64le(count if port == 53 else 0)),
                               entry(u16le(8080), u64le(count if port == 8080 else 5))]}

    def chain(headers, l4_proto, l4):
        """headers: list of builders taking the next header value."""
        body = l4
        nxt = l4_proto
        for build in reversed(headers):
            body = build(nxt) + body
            nxt = {"hop": IPPROTO_HOPOPTS, "dst": IPPROTO_DSTOPTS, "frag": IPPROTO_FRAGMENT,
                   "ah": IPPROTO_AH, "rt": IPPROTO_ROUTING}[build.kind]
        return frame6(nxt, body)

    def ext(kind, **kw):
        if kind in ("hop", "dst", "rt"):
            f = lambda n: ipv6_opts(n, kw.get("units", 0))  # noqa: E731
        elif kind == "frag":
            f = lambda n: ipv6_frag(n, kw.get("offset", 0), kw.get("more", True))  # noqa: E731
        else:
            f = lambda n: ipv6_ah(n)  # noqa: E731
        f.kind = kind
        return f

    u53 = udp(CLIENT6, SERVER6, 5000, 53, b"q")
    u54 = udp(CLIENT6, SERVER6, 5000, 54, b"q")
    t8080 = tcp(CLIENT6, SERVER6, 5000, 8080, TCP_SYN)
    t22 = tcp(CLIENT6, SERVER6, 5000, 22, TCP_SYN)
    return [
        case("drops UDP to denied port 53 with no extension headers", chain([], IPPROTO_UDP, u53),
             "XDP_DROP", maps=m, expected_maps=hit(53, 1)),
        case("finds TCP port 8080 behind hop-by-hop (8 B) and destination options (16 B)",
             chain([ext("hop"), ext("dst", units=1)], IPPROTO_TCP, t8080), "XDP_DROP", maps=m,
             expected_maps=hit(8080, 6)),
        case("looks through a first fragment header (offset 0, MF)",
             chain([ext("frag")], IPPROTO_UDP, u53), "XDP_DROP", maps=m, expected_maps=hit(53, 1)),
        case("passes a non-first fragment (offset 185)",
             chain([ext("frag", offset=185)], IPPROTO_UDP, b"\0" * 16), "XDP_PASS", maps=m,
             expected_maps={"deny_ports": deny}),
        case("finds the port behind AH (24 bytes, length field 4)",
             chain([ext("ah")], IPPROTO_TCP, t8080), "XDP_DROP", maps=m, expected_maps=hit(8080, 6)),
        case("passes an allowed port behind AH", chain([ext("ah")], IPPROTO_TCP, t22), "XDP_PASS",
             maps=m, expected_maps={"deny_ports": deny}),
        case("accepts exactly 8 extension headers and drops by port",
             chain([ext("dst")] * 8, IPPROTO_UDP, u53), "XDP_DROP", maps=m, expected_maps=hit(53, 1)),
        case("passes an allowed port behind exactly 8 extension headers",
             chain([ext("dst")] * 8, IPPROTO_UDP, u54), "XDP_PASS", maps=m,
             expected_maps={"deny_ports": deny}),
        case("drops a chain of 9 extension headers without counting",
             chain([ext("dst")] * 9, IPPROTO_UDP, u54), "XDP_DROP", maps=m,
             expected_maps={"deny_ports": deny}),
        case("drops when the upper-layer header would start past byte 512",
             chain([ext("hop", units=63)], IPPROTO_UDP, u54), "XDP_DROP", maps=m,
             expected_maps={"deny_ports": deny},
             description="54 + 512 = 566 > 512"),
        case("passes a hop-by-hop header cut after one byte",
             frame6(IPPROTO_HOPOPTS, bytes([IPPROTO_UDP])), "XDP_PASS", maps=m),
        case("passes a TCP header cut to 10 bytes", chain([], IPPROTO_TCP, t8080[:10]), "XDP_PASS",
             maps=m, expected_maps={"deny_ports": deny}),
        case("passes ICMPv6", frame6(IPPROTO_ICMPV6, icmpv6_echo_request(CLIENT6, SERVER6, 1, 1, b"")),
             "XDP_PASS", maps=m),
        case("passes IPv4 UDP to a denied port", udp4(5000, 53), "XDP_PASS", maps=m,
             expected_maps={"deny_ports": deny}),
    ]


# ---- xdp_tailcall ------------------------------------------------------------
def xdp_tailcall():
    return [
        case("passes an unfragmented IPv4 datagram through the IPv4 stage", udp4(1, 2), "XDP_PASS"),
        case("drops an IPv4 first fragment (MF) in the IPv4 stage", udp4(1, 2, frag=IP_MF), "XDP_DROP",
             description="only the tail-called stage drops: proves the tail call happened"),
        case("drops an IPv4 non-first fragment in the IPv4 stage",
             frame4(IPPROTO_UDP, b"tail of a datagram", frag=0x0010), "XDP_DROP"),
        case("drops an IPv4 header with IHL 4 in the IPv4 stage",
             eth(NIC_MAC, PEER_MAC, ETH_P_IP) + bytes([0x44]) + udp4(1, 2)[15:34], "XDP_DROP"),
        case("passes IPv6: slot 1 is empty, so the tail call falls through",
             frame6(IPPROTO_UDP, udp(CLIENT6, SERVER6, 1, 2)), "XDP_PASS"),
        case("passes ARP (no stage)", arp_frame(), "XDP_PASS"),
    ]


def xdp_ipv4_stage():
    return [
        case("run directly: drops an IPv4 fragment", udp4(1, 2, frag=IP_MF), "XDP_DROP"),
        case("run directly: passes a truncated IPv4 header", eth(NIC_MAC, PEER_MAC, ETH_P_IP) + bytes(6),
             "XDP_PASS"),
    ]


# ---- small ones --------------------------------------------------------------
def xdp_trim():
    def frame(n):
        base = udp4(1, 2, b"")
        return base + bytes((i * 7) & 0xFF for i in range(n - len(base)))
    return [
        case("leaves a 60-byte frame alone", frame(60), "XDP_PASS"),
        case("leaves a frame of exactly 96 bytes alone", frame(96), "XDP_PASS"),
        case("cuts a 97-byte frame to 96", frame(97), "XDP_PASS", frame(97)[:96]),
        case("cuts a 1000-byte frame to its first 96 bytes", frame(1000), "XDP_PASS", frame(1000)[:96]),
    ]


def flow_key(src, dst, sport, dport, proto):
    return ip4(src) + ip4(dst) + struct.pack("!HH", sport, dport) + bytes([proto, 0, 0, 0])


def xdp_flow_count():
    u = udp4(40000, 53, b"x" * 18)
    t = tcp4(40001, 443, TCP_ACK, b"y" * 20)
    ku = flow_key(CLIENT4, SERVER4, 40000, 53, IPPROTO_UDP)
    kt = flow_key(CLIENT4, SERVER4, 40001, 443, IPPROTO_TCP)
    seeded = [entry(kt, stats(10, 1000))]
    return [
        case("creates a flow entry {1 packet, frame length} for a new UDP flow", u, "XDP_PASS",
             expected_maps={"flows": [entry(ku, stats(1, len(u)))], ".bss": [entry(u32le(0), u64le(0))]}),
        case("adds a TCP segment to an existing flow (10 -> 11 packets)", t, "XDP_PASS",
             maps={"flows": seeded}, expected_maps={"flows": [entry(kt, stats(11, 1000 + len(t)))]}),
        case("ignores ICMP", frame4(IPPROTO_ICMP, icmp_echo(8, 1, 1, b"")), "XDP_PASS",
             maps={"flows": seeded}, expected_maps={"flows": seeded}),
        case("ignores a non-first fragment", frame4(IPPROTO_UDP, b"later bytes", frag=0x0020),
             "XDP_PASS", expected_maps={"flows": []}),
        case("ignores a UDP header cut to 2 bytes", frame4(IPPROTO_UDP, b"\x9c\x40"), "XDP_PASS",
             expected_maps={"flows": []}),
    ]


def guard_bss(allowed, dropped):
    return {".bss": [entry(u32le(0), u64le(allowed) + u64le(dropped))]}


def xdp_udp_guard():
    return [
        case("passes UDP to DNS (53) and counts it allowed", udp4(40000, 53), "XDP_PASS",
             expected_maps=guard_bss(1, 0)),
        case("passes UDP to NTP (123)", udp4(40000, 123), "XDP_PASS", expected_maps=guard_bss(1, 0)),
        case("drops UDP to 5353 and counts it dropped", udp4(40000, 5353), "XDP_DROP",
             expected_maps=guard_bss(0, 1)),
        case("drops UDP to port 0 (unused config slots hold 0 but are not counted)", udp4(40000, 0),
             "XDP_DROP", expected_maps=guard_bss(0, 1)),
        case("passes TCP without counting", tcp4(40000, 9999, TCP_SYN), "XDP_PASS",
             expected_maps=guard_bss(0, 0)),
        case("passes a non-first UDP fragment without counting",
             frame4(IPPROTO_UDP, b"later bytes", frag=0x0020), "XDP_PASS", expected_maps=guard_bss(0, 0)),
        case("passes a UDP header cut to 4 bytes", frame4(IPPROTO_UDP, b"\x9c\x40\x13\xba"),
             "XDP_PASS", expected_maps=guard_bss(0, 0)),
    ]


PROGRAMS = [
    ("xdp_pass", "xdp_pass", xdp_pass),
    ("xdp_drop", "xdp_drop", xdp_drop),
    ("xdp_mac_swap", "xdp_mac_swap", xdp_mac_swap),
    ("xdp_proto_count", "xdp_proto_count", xdp_proto_count),
    ("xdp_firewall", "xdp_firewall", xdp_firewall),
    ("xdp_lpm_filter", "xdp_lpm_filter", xdp_lpm_filter),
    ("xdp_syn_limit", "xdp_syn_limit", xdp_syn_limit),
    ("xdp_l4_lb", "xdp_l4_lb", xdp_l4_lb),
    ("xdp_vlan", "xdp_vlan", xdp_vlan),
    ("xdp_icmp_echo", "xdp_icmp_echo", xdp_icmp_echo),
    ("xdp_router", "xdp_router", xdp_router),
    ("xdp_ipv6_exthdr", "xdp_ipv6_exthdr", xdp_ipv6_exthdr),
    ("xdp_tailcall", "xdp_dispatch", xdp_tailcall),
    ("xdp_tailcall", "xdp_ipv4_stage", xdp_ipv4_stage),
    ("xdp_trim", "xdp_trim", xdp_trim),
    ("xdp_flow_count", "xdp_flow_count", xdp_flow_count),
    ("xdp_udp_guard", "xdp_udp_guard", xdp_udp_guard),
]

# What loading the object itself puts into maps, beyond zeroed arrays and empty
# hashes: a prog array's static initializer (libbpf resolves the .rel.maps
# relocation against the program symbol) and .rodata's initial bytes.
LOAD_TIME_MAPS = {
    "xdp_tailcall": {"stages": {"entries": [{"key": h(u32le(0)), "program": "xdp_ipv4_stage"}]}},
    "xdp_udp_guard": {".rodata": {"entries": [entry(u32le(0), u16le(53) + u16le(123) + u16le(0) + u16le(0)
                                                     + u32le(2))]}},
}

# Map contents that make each program do something interesting, one file per map.
MAP_FILES = [
    ("xdp_firewall", lambda: {"blocklist": xdp_firewall()[0]["maps"]["blocklist"]["entries"]}),
    ("xdp_lpm_filter", lambda: {"src_prefixes": xdp_lpm_filter()[0]["maps"]["src_prefixes"]["entries"]}),
    ("xdp_syn_limit", lambda: {"syn_buckets": [entry(ip4("198.51.100.23"), bucket(0, U64_MAX))]}),
    ("xdp_l4_lb", lb_maps),
    ("xdp_vlan", lambda: {"vlan_xlate": xdp_vlan()[0]["maps"]["vlan_xlate"]["entries"]}),
    ("xdp_router", lambda: {"tx_ports": [entry(u32le(ROUTER_EGRESS), u32le(ROUTER_EGRESS))]}),
    ("xdp_ipv6_exthdr", lambda: {"deny_ports": xdp_ipv6_exthdr()[0]["maps"]["deny_ports"]["entries"]}),
    ("xdp_tailcall", lambda: {"stages": LOAD_TIME_MAPS["xdp_tailcall"]["stages"]["entries"]}),
    ("xdp_flow_count", lambda: {"flows": [entry(flow_key(CLIENT4, SERVER4, 40001, 443, IPPROTO_TCP),
                                                 stats(10, 1000))]}),
]


def main():
    out = {
        "about": [
            "Crafted-packet cases for the sample programs in programs/. Each expected result is derived",
            "by hand from the program's C source, the RFCs and the kernel's helper documentation",
            "(programs/tools/gen_expectations.py writes them as explicit packet transformations and",
            "full checksum recomputations); programs/tools/check_kernel.py confirmed every case against",
            "the Linux kernel's BPF_PROG_TEST_RUN (bpftool prog run) on a 6.18 kernel.",
        ],
        "format": {
            "packet": "the frame given to the program (data_in), hex",
            "maps": "map name -> {entries:[{key,value}]} written with update(BPF_ANY) after loading the "
                    "object; maps not listed keep their load-time content (empty hashes, zeroed arrays, "
                    "static initializers, .rodata/.data initial values). Keys and values are the raw bytes "
                    "in memory order (little-endian numbers, network-order addresses), hex",
            "expected.action / retval": "the XDP action the program returns",
            "expected.packetOut": "the whole frame after the run (data_out), hex",
            "expected.maps": "map name -> the complete content after the run: for hash-like maps every "
                             "entry; for array-like maps every entry whose value is not all zero. A "
                             "per-CPU map's value is the sum over CPUs of each little-endian u64 word. "
                             "valueMask (hex, optional): only bytes under a 0xff mask byte are compared",
            "ktimeNsAtLeast": "the case assumes bpf_ktime_get_ns() returns at least this",
            "environment": "the name of a host set-up in `environments` the case needs (bpf_fib_lookup)",
            "fib": "what bpf_fib_lookup returns for the case's packet in that environment: ret (the "
                   "BPF_FIB_LKUP_RET_ name), and for SUCCESS the egress ifindex, smac and dmac",
            ".rodata/.bss/.data": "global-variable maps are named by their ELF section; key 0, value the section",
            "loadTimeMaps": "per program: what loading the object puts in maps (prog-array static initializers, "
                            ".rodata initial values); a prog-array entry names the program instead of a value",
        },
        "environments": {"router-netns": ROUTER_NETNS},
        "programs": [],
    }
    for obj, prog, make in PROGRAMS:
        entry_ = {"object": "programs/%s.o" % obj, "program": prog}
        if obj in LOAD_TIME_MAPS:
            entry_["loadTimeMaps"] = LOAD_TIME_MAPS[obj]
        entry_["cases"] = make()
        out["programs"].append(entry_)
    path = os.path.join(PROGRAMS_DIR, "expectations.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    maps_dir = os.path.join(PROGRAMS_DIR, "maps")
    os.makedirs(maps_dir, exist_ok=True)
    for obj, make in MAP_FILES:
        for name, entries in make().items():
            with open(os.path.join(maps_dir, "%s.%s.json" % (obj, name)), "w") as f:
                json.dump({"entries": entries}, f, indent=1)
                f.write("\n")
    total = sum(len(p["cases"]) for p in out["programs"])
    print("wrote %s: %d programs, %d cases" % (path, len(out["programs"]), total))


if __name__ == "__main__":
    main()
