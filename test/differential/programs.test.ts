// Every program of programs/ through the kernel and through our interpreter:
// the crafted packets of expectations.json followed by 2,000 generated ones
// (protocol-aware, truncated and malformed ones included), with map contents
// that reach each branch: the map files of programs/maps plus entries made
// from the generated packets themselves (blocklisted 5-tuples, prefixes of
// their sources, VIPs of their destinations, their VLAN ids and ports), so
// that lookups hit as well as miss. After every packet the action, the
// output frame and every map must be the kernel's (src/oracle/kernel-check.ts).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { withKernel } from "../../src/kernel/index.ts";
import { parseEnvironment, type NetworkEnvironment } from "../../src/oracle/environment.ts";
import { kernelCheck, type MapSource } from "../../src/oracle/kernel-check.ts";
import { formatKernelCheck } from "../../src/oracle/kernel-check-report.ts";
import { createObjectMaps, loadMapContent } from "../../src/oracle/object-setup.ts";
import { generatePackets, type PacketPool, type TestPacket } from "../../src/oracle/packet-generator.ts";
import { poolFromMaps } from "../../src/oracle/packet-sources.ts";
import { readObjectFile } from "../../src/oracle/run-object.ts";
import { decodePacket, parseIpv4, parseIpv6 } from "../../src/traffic/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const programsDir = fileURLToPath(new URL("../../programs/", import.meta.url));
const GENERATED_PACKETS = 2000;
const SEED = 20250611;

interface Expectations {
  readonly environments: Record<string, unknown>;
  readonly programs: readonly {
    readonly object: string;
    readonly program: string;
    readonly cases: readonly { readonly name: string; readonly packet: string; readonly environment?: string }[];
  }[];
}
const expectations = JSON.parse(readFileSync(`${programsDir}expectations.json`, "utf8")) as Expectations;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const u32le = (n: number): string => hex(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
const u16le = (n: number): string => hex(Uint8Array.of(n & 0xff, n >>> 8));
const u16be = (n: number): string => hex(Uint8Array.of(n >>> 8, n & 0xff));
const u64le = (n: bigint): string => hex(new Uint8Array(new BigUint64Array([n]).buffer));

// The addresses and ports of a packet, read at the offsets the decoder found (undefined parts are absent).
interface Tuple {
  readonly family: 4 | 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly firstFragment: boolean;
  readonly vlanId?: number;
}

function tupleOf(packet: Uint8Array): Tuple | undefined {
  const layers = decodePacket(packet).layers;
  const vlan = layers.find((l) => l.kind === "vlan");
  const ip = layers.find((l) => l.kind === "ipv4" || l.kind === "ipv6");
  if (ip === undefined || (ip.kind !== "ipv4" && ip.kind !== "ipv6")) return undefined;
  const l4 = layers.find((l) => l.kind === "tcp" || l.kind === "udp");
  const ports = l4 === undefined ? {} : { srcPort: (packet[l4.offset] << 8) | packet[l4.offset + 1], dstPort: (packet[l4.offset + 2] << 8) | packet[l4.offset + 3] };
  const vlanPart = vlan !== undefined && vlan.kind === "vlan" ? { vlanId: vlan.vlanId } : {};
  if (ip.kind === "ipv4") {
    const at = ip.offset;
    return { family: 4, src: packet.slice(at + 12, at + 16), dst: packet.slice(at + 16, at + 20), protocol: ip.protocol, firstFragment: ip.fragmentOffsetBytes === 0, ...ports, ...vlanPart };
  }
  const at = ip.offset;
  return { family: 6, src: packet.slice(at + 8, at + 24), dst: packet.slice(at + 24, at + 40), protocol: ip.protocol, firstFragment: true, ...ports, ...vlanPart };
}

interface Scenario {
  readonly object: string;
  readonly program: string;
  // Map files of programs/maps, by map name.
  readonly files?: Readonly<Record<string, string>>;
  readonly environment?: string;
  // Addresses the generator should also draw from.
  readonly addresses?: readonly string[];
  readonly ports?: readonly number[];
  // Entries made from the generated packets: map name -> entries.
  readonly derive?: (packets: readonly TestPacket[]) => Readonly<Record<string, { key: string; value: string }[]>>;
}

// Every `step`-th packet whose tuple passes `keep`.
function sample(packets: readonly TestPacket[], step: number, keep: (t: Tuple) => boolean): Tuple[] {
  return packets
    .map((p) => tupleOf(p.packet))
    .filter((t): t is Tuple => t !== undefined && keep(t))
    .filter((_, i) => i % step === 0);
}

const padTo16 = (address: Uint8Array): string => hex(Uint8Array.from({ length: 16 }, (_, i) => address[i] ?? 0));
const uniqueBy = <T>(items: T[], key: (t: T) => string): T[] => [...new Map(items.map((item) => [key(item), item])).values()];

const scenarios: readonly Scenario[] = [
  { object: "xdp_pass.o", program: "xdp_pass" },
  { object: "xdp_drop.o", program: "xdp_drop" },
  { object: "xdp_mac_swap.o", program: "xdp_mac_swap" },
  { object: "xdp_proto_count.o", program: "xdp_proto_count" },
  {
    object: "xdp_firewall.o",
    program: "xdp_firewall",
    files: { blocklist: "xdp_firewall.blocklist.json" },
    // flow_key: family, proto, be16 sport, be16 dport, u16 pad, saddr[16], daddr[16]; ports 0 unless TCP/UDP first fragments.
    derive: (packets) => ({
      blocklist: uniqueBy(
        sample(packets, 5, () => true).map((t) => {
          const ported = (t.protocol === 6 || t.protocol === 17) && t.firstFragment;
          const key = `${t.family === 4 ? "04" : "06"}${hex(Uint8Array.of(t.protocol))}${u16be(ported ? (t.srcPort ?? 0) : 0)}${u16be(ported ? (t.dstPort ?? 0) : 0)}0000${padTo16(t.src)}${padTo16(t.dst)}`;
          return { key, value: u64le(BigInt(key.length % 7)) };
        }),
        (e) => e.key,
      ),
    }),
  },
  {
    object: "xdp_lpm_filter.o",
    program: "xdp_lpm_filter",
    files: { src_prefixes: "xdp_lpm_filter.src_prefixes.json" },
    derive: (packets) => ({
      src_prefixes: uniqueBy(
        sample(packets, 9, (t) => t.family === 4).map((t, i) => {
          const length = [8, 16, 20, 24, 28, 32][i % 6];
          const masked = t.src.map((byte, j) => byte & (0xff << Math.max(0, Math.min(8, 8 - (length - j * 8)))) & 0xff);
          return { key: `${u32le(length)}${hex(masked)}`, value: u32le(i % 3) };
        }),
        (e) => e.key,
      ),
    }),
  },
  {
    object: "xdp_syn_limit.o",
    program: "xdp_syn_limit",
    files: { syn_buckets: "xdp_syn_limit.syn_buckets.json" },
    derive: (packets) => ({
      // Empty and nearly empty buckets that never refill (last_ns in the future), and buckets idle since boot.
      syn_buckets: uniqueBy(
        sample(packets, 3, (t) => t.family === 4 && t.protocol === 6).map((t, i) => ({
          key: hex(t.src),
          value: `${u64le(BigInt(i % 3))}${u64le(i % 2 === 0 ? 0xffff_ffff_ffff_ffffn : 0n)}`,
        })),
        (e) => e.key,
      ),
    }),
  },
  {
    object: "xdp_l4_lb.o",
    program: "xdp_l4_lb",
    files: { vips: "xdp_l4_lb.vips.json", ch_ring: "xdp_l4_lb.ch_ring.json", backends: "xdp_l4_lb.backends.json", lb_config: "xdp_l4_lb.lb_config.json" },
    addresses: ["10.0.0.100", "10.0.0.101"],
    ports: [80, 53],
    // vip_key: be32 addr, be16 port, u8 proto, u8 pad -> u32 ring row (rows 0..2 are filled by the files, the rest zero: backend 0).
    derive: (packets) => ({
      vips: uniqueBy(
        sample(packets, 4, (t) => t.family === 4 && (t.protocol === 6 || t.protocol === 17) && t.dstPort !== undefined).map((t, i) => ({
          key: `${hex(t.dst)}${u16be(t.dstPort!)}${hex(Uint8Array.of(t.protocol))}00`,
          value: u32le(i % 8),
        })),
        (e) => e.key,
      ).slice(0, 5),
    }),
  },
  {
    object: "xdp_vlan.o",
    program: "xdp_vlan",
    files: { vlan_xlate: "xdp_vlan.vlan_xlate.json" },
    derive: (packets) => ({
      vlan_xlate: uniqueBy(
        sample(packets, 2, (t) => t.vlanId !== undefined).map((t, i) => ({ key: u16le(t.vlanId!), value: u16le(i % 3 === 0 ? 0 : (t.vlanId! * 7 + i) % 4095) })),
        (e) => e.key,
      ),
    }),
  },
  { object: "xdp_icmp_echo.o", program: "xdp_icmp_echo" },
  {
    object: "xdp_router.o",
    program: "xdp_router",
    files: { tx_ports: "xdp_router.tx_ports.json" },
    environment: "router-netns",
    addresses: ["198.51.100.7", "198.51.100.1", "198.51.100.9", "198.51.100.255", "203.0.113.5", "203.0.114.5", "2001:db8:1::7", "2001:db8:1::1", "2001:db8:1::9", "2001:db8:1::"],
  },
  {
    object: "xdp_ipv6_exthdr.o",
    program: "xdp_ipv6_exthdr",
    files: { deny_ports: "xdp_ipv6_exthdr.deny_ports.json" },
    derive: (packets) => ({
      deny_ports: uniqueBy(
        sample(packets, 4, (t) => t.family === 6 && t.dstPort !== undefined).map((t, i) => ({ key: u16le(t.dstPort!), value: u64le(BigInt(i)) })),
        (e) => e.key,
      ),
    }),
  },
  { object: "xdp_tailcall.o", program: "xdp_dispatch", files: { stages: "xdp_tailcall.stages.json" } },
  { object: "xdp_tailcall.o", program: "xdp_ipv4_stage", files: { stages: "xdp_tailcall.stages.json" } },
  { object: "xdp_trim.o", program: "xdp_trim" },
  {
    object: "xdp_flow_count.o",
    program: "xdp_flow_count",
    files: { flows: "xdp_flow_count.flows.json" },
    // flow key: be32 saddr, be32 daddr, be16 sport, be16 dport, u8 proto, u8 pad[3] -> {u64 packets, u64 bytes}.
    derive: (packets) => ({
      flows: uniqueBy(
        sample(packets, 6, (t) => t.family === 4 && (t.protocol === 6 || t.protocol === 17) && t.srcPort !== undefined).map((t, i) => ({
          key: `${hex(t.src)}${hex(t.dst)}${u16be(t.srcPort!)}${u16be(t.dstPort!)}${hex(Uint8Array.of(t.protocol))}000000`,
          value: `${u64le(BigInt(i))}${u64le(BigInt(i * 100))}`,
        })),
        (e) => e.key,
      ),
    }),
  },
  { object: "xdp_udp_guard.o", program: "xdp_udp_guard", ports: [53, 123, 5353] },
];

function addressBytes(text: string): Uint8Array {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

describe.skipIf(!kernelAvailable)("every program of programs/ in the kernel and in the interpreter", () => {
  it("has a scenario for every program of expectations.json", () => {
    const covered = new Set(scenarios.map((s) => `programs/${s.object}:${s.program}`));
    for (const p of expectations.programs) expect(covered.has(`${p.object}:${p.program}`), `${p.object}:${p.program}`).toBe(true);
  });

  for (const scenario of scenarios) {
    it(`${scenario.program} (${scenario.object}) agrees on its crafted cases and ${GENERATED_PACKETS} generated packets`, async () => {
      const object = readObjectFile(`${programsDir}${scenario.object}`);
      const files: MapSource[] = Object.entries(scenario.files ?? {}).map(([map, file]) => ({ map, file: `${programsDir}maps/${file}` }));
      let preview = createObjectMaps(object, 1);
      for (const source of files) preview = loadMapContent(preview, source.map, JSON.parse(readFileSync((source as { file: string }).file, "utf8")), source.map);
      const fromMaps = poolFromMaps(preview.maps);
      const extra = (scenario.addresses ?? []).map(addressBytes);
      const pool: PacketPool = {
        ipv4: [...fromMaps.ipv4, ...extra.filter((a) => a.length === 4)],
        ipv6: [...fromMaps.ipv6, ...extra.filter((a) => a.length === 16)],
        ports: [...fromMaps.ports, ...(scenario.ports ?? [])],
        vlanIds: [...fromMaps.vlanIds, 100, 200],
      };
      const generated = generatePackets(GENERATED_PACKETS, SEED, pool);
      const derived: MapSource[] = Object.entries(scenario.derive?.(generated) ?? {}).map(([map, entries]) => ({ map, json: { entries }, source: `entries derived from the generated packets (${map})` }));
      const cases = expectations.programs.find((p) => p.object === `programs/${scenario.object}` && p.program === scenario.program)?.cases ?? [];
      const crafted: TestPacket[] = cases.map((c) => ({ packet: Uint8Array.from(Buffer.from(c.packet, "hex")), label: `expectations.json: ${c.name}` }));
      const environment: NetworkEnvironment | undefined =
        scenario.environment === undefined ? undefined : parseEnvironment(expectations.environments[scenario.environment], scenario.environment);
      const report = await withKernel((k) =>
        kernelCheck(k, { object, program: scenario.program, maps: [...files, ...derived], packets: [...crafted, ...generated], ...(environment ? { environment } : {}), traceSteps: 60 }),
      );
      expect(report.kind, formatKernelCheck(report, scenario.object)).toBe("agree");
      if (report.kind === "agree") {
        expect(report.packets).toBe(crafted.length + GENERATED_PACKETS);
        console.info(`${scenario.program}: ${JSON.stringify(report.actions)}${report.bracketed > 0 ? `, ${report.bracketed} bracketed` : ""}`);
      }
    });
  }
});
