// SYN cookies without a listening socket: bpf_tcp_raw_gen_syncookie_ipv4/ipv6
// and bpf_tcp_raw_check_syncookie_ipv4/ipv6 (net/core/filter.c, with
// net/ipv4/syncookies.c, net/ipv6/syncookies.c and tcp_parse_mss_option in
// net/ipv4/tcp_input.c, Linux 6.18).
//
// gen: th_len < sizeof(struct tcphdr) or th_len != doff * 4 -> -EINVAL (the
// flags are not looked at: a non-SYN gets a cookie too). The MSS option of the
// header (0 or absent: TCP_MSS_DEFAULT for IPv4, IPV6_MIN_MTU - 60 for IPv6)
// picks the largest entry of the family's MSS table not above it (index 0 when
// none is); the result is cookie | table[index] << 32.
// check: cookie = ack_seq - 1 checked against seq - 1: 0 when it is valid,
// -EACCES otherwise (the flags are not looked at either).
//
// The cookie has the kernel's shape (secure_tcp_syn_cookie):
//   hash(tuple, 0, 0) + client ISN + (count << 24) + ((hash(tuple, count, 1) + mss index) & 0xffffff)
// where count is tcp_cookie_time(), jiffies / (60 * HZ), and a cookie is
// valid for MAX_SYNCOOKIE_AGE counts (this minute and the one before). The
// kernel's hash is siphash under a secret drawn at boot, which no one can
// reproduce; ours is HMAC-SHA256 under a secret of the helper table (a fixed
// one by default), so gen and check agree with each other, on the host and
// on the NIC's host part, and differ from the kernel's numbers (the kernel
// oracle treats them as random: src/oracle/nondeterminism.ts).
import { createHmac } from "node:crypto";
import { Errno } from "../maps/errno.ts";
import { IPV4_ADDRESS_BYTES, IPV6_ADDRESS_BYTES } from "../traffic/packet/address.ts";
import { IPV4_MIN_HEADER_BYTES } from "../traffic/packet/ipv4.ts";
import { IPV6_HEADER_BYTES } from "../traffic/packet/ipv6.ts";
import { TCP_MIN_HEADER_BYTES, TCP_MSS_OPTION_BYTES, TcpOptionKind } from "../traffic/packet/tcp.ts";
import { isOutcome, readBytes } from "./args.ts";
import { jiffiesNow, SIM_HZ } from "./basic-helpers.ts";
import { HelperId } from "./prototypes.ts";
import { returns, type HelperCall, type HelperImplementation, type HelperOutcome } from "./runtime.ts";

// include/net/tcp.h: the counter steps once a minute; a cookie lives two steps.
const TCP_SYNCOOKIE_PERIOD_SECONDS = 60;
const MAX_SYNCOOKIE_AGE = 2;
// net/ipv4/syncookies.c: the counter sits above the low 24 bits.
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;

// net/ipv4/syncookies.c msstab; include/net/tcp.h TCP_MSS_DEFAULT.
const MSS_TABLE_IPV4: readonly number[] = [536, 1300, 1440, 1460];
const TCP_MSS_DEFAULT = 536;
// net/ipv6/syncookies.c msstab: link MTUs less the IPv6 and TCP headers; the IPv6
// default is IPV6_MIN_MTU - sizeof(struct tcphdr) - sizeof(struct ipv6hdr).
const IPV6_TCP_HEADER_BYTES = IPV6_HEADER_BYTES + TCP_MIN_HEADER_BYTES;
const IPV6_MIN_MTU = 1280;
const MSS_TABLE_IPV6: readonly number[] = [IPV6_MIN_MTU, 1480, 1500, 9000].map((mtu) => mtu - IPV6_TCP_HEADER_BYTES);
const IPV6_MSS_DEFAULT = IPV6_MIN_MTU - IPV6_TCP_HEADER_BYTES;

// Offsets in struct iphdr / struct ipv6hdr / struct tcphdr (daddr follows saddr in both).
const IPV4_SADDR_AT = 12;
const IPV6_SADDR_AT = 8;
const TCP_SEQ_AT = 4;
const TCP_ACK_SEQ_AT = 8;
const TCP_DOFF_AT = 12;
const TCP_PORTS_BYTES = 4;

interface Family {
  readonly ipHeaderBytes: number;
  readonly saddrAt: number;
  readonly addressBytes: number;
  readonly mssTable: readonly number[];
  readonly defaultMss: number;
}

const IPV4: Family = { ipHeaderBytes: IPV4_MIN_HEADER_BYTES, saddrAt: IPV4_SADDR_AT, addressBytes: IPV4_ADDRESS_BYTES, mssTable: MSS_TABLE_IPV4, defaultMss: TCP_MSS_DEFAULT };
const IPV6: Family = { ipHeaderBytes: IPV6_HEADER_BYTES, saddrAt: IPV6_SADDR_AT, addressBytes: IPV6_ADDRESS_BYTES, mssTable: MSS_TABLE_IPV6, defaultMss: IPV6_MSS_DEFAULT };

// The simulator's stand-in for the kernel's boot-time syncookie_secret (any bytes; fixed so runs repeat).
export const DEFAULT_SYNCOOKIE_SECRET: Uint8Array = Uint8Array.from(Buffer.from("offload-sim syncookie secret v1", "utf8"));

// tcp_cookie_time(): the minute counter, as a u32, from the simulated jiffies.
const cookieMinute = (jiffies: bigint): number => Number(BigInt.asUintN(32, jiffies / BigInt(TCP_SYNCOOKIE_PERIOD_SECONDS * SIM_HZ)));

// The addresses and ports of a segment, as its headers hold them (network order).
interface FourTuple {
  readonly addresses: Uint8Array;
  readonly ports: Uint8Array;
}

// cookie_hash(tuple, count, c) under `secret`: a u32.
function cookieHash(secret: Uint8Array, tuple: FourTuple, count: number, c: number): number {
  const suffix = new Uint8Array(5);
  suffix[0] = c;
  new DataView(suffix.buffer).setUint32(1, count >>> 0, false);
  const digest = createHmac("sha256", secret).update(tuple.addresses).update(tuple.ports).update(suffix).digest();
  return digest.readUInt32BE(0);
}

// tcp_parse_mss_option(th, 0): the last non-zero MSS option before the options end or go wrong; 0 when none.
function parseMssOption(tcpHeader: Uint8Array): number {
  const end = (tcpHeader[TCP_DOFF_AT] >> 4) * 4;
  let at = TCP_MIN_HEADER_BYTES;
  let mss = 0;
  while (at < end) {
    const kind = tcpHeader[at++];
    if (kind === TcpOptionKind.END) return mss;
    if (kind === TcpOptionKind.NOP) continue;
    const left = end - at + 1;
    if (left < 2) return mss;
    const size = tcpHeader[at++];
    if (size < 2 || size > left) return mss;
    if (kind === TcpOptionKind.MSS && size === TCP_MSS_OPTION_BYTES) {
      const given = (tcpHeader[at] << 8) | tcpHeader[at + 1];
      if (given !== 0) mss = given;
    }
    at += size - 2;
  }
  return mss;
}

// The index of the largest table entry not above `mss` (0 when none is).
function mssIndex(table: readonly number[], mss: number): number {
  let index = table.length - 1;
  while (index > 0 && mss < table[index]) index--;
  return index;
}

// secure_tcp_syn_cookie.
function makeCookie(secret: Uint8Array, tuple: FourTuple, clientIsn: number, count: number, index: number): number {
  const high = (cookieHash(secret, tuple, 0, 0) + clientIsn + ((count << COOKIEBITS) >>> 0)) >>> 0;
  return (high + ((cookieHash(secret, tuple, count, 1) + index) & COOKIEMASK)) >>> 0;
}

// check_tcp_syn_cookie: the MSS index the cookie carries, or undefined when it is too old or forged.
function cookieIndex(secret: Uint8Array, tuple: FourTuple, cookie: number, clientIsn: number, count: number, tableSize: number): number | undefined {
  const stripped = (cookie - cookieHash(secret, tuple, 0, 0) - clientIsn) >>> 0;
  const diff = (count - (stripped >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return undefined;
  const index = (stripped - cookieHash(secret, tuple, (count - diff) >>> 0, 1)) & COOKIEMASK;
  return index < tableSize ? index : undefined;
}

function fourTuple(family: Family, ipHeader: Uint8Array, tcpHeader: Uint8Array): FourTuple {
  return {
    addresses: ipHeader.slice(family.saddrAt, family.saddrAt + 2 * family.addressBytes),
    ports: tcpHeader.slice(0, TCP_PORTS_BYTES),
  };
}

const u32At = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, false);

function generate(secret: Uint8Array, family: Family, call: HelperCall): HelperOutcome {
  const [ipAddress, tcpAddress, lengthArg] = call.args;
  const ipHeader = readBytes(call, ipAddress, family.ipHeaderBytes);
  if (isOutcome(ipHeader)) return ipHeader;
  const tcpBytes = Number(BigInt.asUintN(32, lengthArg));
  if (tcpBytes < TCP_MIN_HEADER_BYTES) return returns(-Errno.EINVAL);
  const tcpHeader = readBytes(call, tcpAddress, tcpBytes);
  if (isOutcome(tcpHeader)) return tcpHeader;
  if (tcpBytes !== (tcpHeader[TCP_DOFF_AT] >> 4) * 4) return returns(-Errno.EINVAL);
  const index = mssIndex(family.mssTable, parseMssOption(tcpHeader) || family.defaultMss);
  const count = cookieMinute(jiffiesNow(call));
  const cookie = makeCookie(secret, fourTuple(family, ipHeader, tcpHeader), u32At(tcpHeader, TCP_SEQ_AT), count, index);
  return returns((BigInt(family.mssTable[index]) << 32n) | BigInt(cookie));
}

function check(secret: Uint8Array, family: Family, call: HelperCall): HelperOutcome {
  const [ipAddress, tcpAddress] = call.args;
  const ipHeader = readBytes(call, ipAddress, family.ipHeaderBytes);
  if (isOutcome(ipHeader)) return ipHeader;
  const tcpHeader = readBytes(call, tcpAddress, TCP_MIN_HEADER_BYTES);
  if (isOutcome(tcpHeader)) return tcpHeader;
  const cookie = (u32At(tcpHeader, TCP_ACK_SEQ_AT) - 1) >>> 0;
  const clientIsn = (u32At(tcpHeader, TCP_SEQ_AT) - 1) >>> 0;
  const count = cookieMinute(jiffiesNow(call));
  const index = cookieIndex(secret, fourTuple(family, ipHeader, tcpHeader), cookie, clientIsn, count, family.mssTable.length);
  return returns(index === undefined ? -Errno.EACCES : 0);
}

// The four helpers under one secret, by helper id.
export function syncookieHelpers(secret: Uint8Array): ReadonlyMap<number, HelperImplementation> {
  return new Map<number, HelperImplementation>([
    [HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV4, (call) => generate(secret, IPV4, call)],
    [HelperId.TCP_RAW_GEN_SYNCOOKIE_IPV6, (call) => generate(secret, IPV6, call)],
    [HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV4, (call) => check(secret, IPV4, call)],
    [HelperId.TCP_RAW_CHECK_SYNCOOKIE_IPV6, (call) => check(secret, IPV6, call)],
  ]);
}
