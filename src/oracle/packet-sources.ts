// Where kernel-check's packets come from: the seeded generator, with an
// address pool guessed from the maps' initial contents (so that lookups can
// hit), or a capture file.
import { OffloadSimError } from "../errors.ts";
import { MapType, type SimMap } from "../maps/index.ts";
import { openCaptureFile, xdpFrames } from "../traffic/index.ts";
import { ETH_HLEN } from "../xdp/layout.ts";
import { EMPTY_POOL, type PacketPool, type TestPacket } from "./packet-generator.ts";

export class PacketSourceError extends OffloadSimError {}

// Entries looked at per map, and values kept per kind, so a huge map does not make a huge pool.
const MAX_ENTRIES_PER_MAP = 256;
const MAX_POOL_VALUES = 512;
const VLAN_ID_MASK = 0x0fff;
const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
// LPM trie keys start with a u32 prefix length (include/uapi/linux/bpf.h struct bpf_lpm_trie_key).
const LPM_PREFIX_BYTES = 4;

// Values that may be addresses, ports or VLAN ids, read from every key and value of the
// maps: aligned 4-byte words (IPv4), 16-byte runs (IPv6), 2-byte words in both byte
// orders (ports, VLAN ids). A guess that only widens what the generator draws from.
export function poolFromMaps(maps: readonly SimMap[]): PacketPool {
  const ipv4 = new Map<string, Uint8Array>();
  const ipv6 = new Map<string, Uint8Array>();
  const ports = new Set<number>();
  const vlanIds = new Set<number>();
  const add = (bytes: Uint8Array, lpm: boolean): void => {
    const data = lpm ? bytes.subarray(LPM_PREFIX_BYTES) : bytes;
    for (let at = 0; at + IPV4_BYTES <= data.length; at += IPV4_BYTES) {
      const word = data.subarray(at, at + IPV4_BYTES);
      if (word[0] !== 0 && ipv4.size < MAX_POOL_VALUES) ipv4.set(Buffer.from(word).toString("hex"), word.slice());
    }
    for (let at = 0; at + IPV6_BYTES <= data.length; at += IPV4_BYTES) {
      const run = data.subarray(at, at + IPV6_BYTES);
      if (run[0] !== 0 && ipv6.size < MAX_POOL_VALUES) ipv6.set(Buffer.from(run).toString("hex"), run.slice());
    }
    for (let at = 0; at + 2 <= data.length && ports.size < MAX_POOL_VALUES; at += 2) {
      ports.add((data[at] << 8) | data[at + 1]);
      ports.add(data[at] | (data[at + 1] << 8));
    }
    if (data.length === 2) {
      vlanIds.add(((data[0] << 8) | data[1]) & VLAN_ID_MASK);
      vlanIds.add((data[0] | (data[1] << 8)) & VLAN_ID_MASK);
    }
  };
  for (const map of maps) {
    if (map.def.type === MapType.PROG_ARRAY) continue;
    const lpm = map.def.type === MapType.LPM_TRIE;
    for (const entry of map.entries().slice(0, MAX_ENTRIES_PER_MAP)) {
      add(entry.key, lpm);
      if (entry.value !== undefined) add(entry.value, false);
    }
  }
  if (ipv4.size + ipv6.size + ports.size + vlanIds.size === 0) return EMPTY_POOL;
  return { ipv4: [...ipv4.values()], ipv6: [...ipv6.values()], ports: [...ports], vlanIds: [...vlanIds] };
}

export interface CapturePackets {
  readonly packets: TestPacket[];
  // Packets left out because BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
  readonly tooShort: number;
  // What turning the capture into the frames XDP sees changed (src/traffic/xdp-frames.ts: link headers,
  // padding to the wire length, cuts to one linear frame), one sentence each.
  readonly notes: string[];
}

// Reads a capture (pcap or pcapng) as the frames XDP sees; at most `limit` packets.
export function capturePackets(path: string, limit: number | undefined): CapturePackets {
  const reader = openCaptureFile(path);
  const frames = xdpFrames(path);
  const packets: TestPacket[] = [];
  let tooShort = 0;
  let index = 0;
  try {
    for (const captured of reader) {
      if (limit !== undefined && packets.length >= limit) break;
      index++;
      const frame = frames.frameOf(captured);
      if (frame === undefined) continue;
      if (frame.length < ETH_HLEN) {
        tooShort++;
        continue;
      }
      packets.push({ packet: frame, label: `${path} packet ${index}` });
    }
  } finally {
    reader.close();
  }
  return { packets, tooShort, notes: frames.notes() };
}
