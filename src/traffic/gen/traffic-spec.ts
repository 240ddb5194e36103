// The traffic spec: a line of space-separated tokens describing synthetic
// traffic, e.g. "udp flows=10000 size=64..1500 zipf=1.1 rate=40G".
//
//   spec      = token *(" " token)
//   token     = protocol / "ipv4" / "ipv6" / "vlan" / key "=" value
//   protocol  = "udp" / "tcp" / "icmp"              ; several: an even mix
//   mix=      protocol ":" weight *("," protocol ":" weight)   ; weights are normalized
//   flows=    1..16777216                           ; distinct 5-tuples
//   size=     N / N ".." M / "imix"                 ; frame bytes incl. FCS, 64..9216
//   zipf=     s > 0   (or popularity=uniform, the default)
//   malformed=, synflood=, vlan=, ipv6=   share 0..1 or percentage ("5%")
//   rate=     number with K/M/G/T suffix, bits per second ("40G", "2.5G", "100M")
//   count=    packets;  seed= non-negative integer
//
// Errors name the token and what was expected, in one sentence.
import { TrafficSpecError } from "../errors.ts";
import {
  MAX_GENERATED_FRAME_BYTES,
  MIN_GENERATED_FRAME_BYTES,
  formatSizeDistribution,
  type SizeDistribution,
} from "./size-distribution.ts";

export type TrafficProtocol = "udp" | "tcp" | "icmp";
export const TRAFFIC_PROTOCOLS: readonly TrafficProtocol[] = ["udp", "tcp", "icmp"];

export interface ProtocolShare {
  readonly protocol: TrafficProtocol;
  readonly share: number;
}

export type Popularity = { readonly kind: "uniform" } | { readonly kind: "zipf"; readonly exponent: number };

export interface TrafficSpec {
  // Shares sum to 1, in the order udp, tcp, icmp (absent protocols omitted).
  readonly mix: readonly ProtocolShare[];
  readonly ipv6Share: number;
  readonly flowCount: number;
  readonly size: SizeDistribution;
  readonly popularity: Popularity;
  readonly malformedShare: number;
  readonly synFloodShare: number;
  readonly vlanShare: number;
  readonly rateBitsPerSecond: number;
  readonly packetCount: number | undefined;
  readonly seed: bigint | undefined;
}

// Flows are told apart by construction up to 2^24 (see flows.ts).
export const MAX_FLOWS = 1 << 24;
export const DEFAULT_FLOWS = 1;
export const DEFAULT_FRAME_BYTES = MIN_GENERATED_FRAME_BYTES;
export const DEFAULT_RATE_BITS_PER_SECOND = 10e9;

export const DEFAULT_SPEC: TrafficSpec = {
  mix: [{ protocol: "udp", share: 1 }],
  ipv6Share: 0,
  flowCount: DEFAULT_FLOWS,
  size: { kind: "fixed", frameBytes: DEFAULT_FRAME_BYTES },
  popularity: { kind: "uniform" },
  malformedShare: 0,
  synFloodShare: 0,
  vlanShare: 0,
  rateBitsPerSecond: DEFAULT_RATE_BITS_PER_SECOND,
  packetCount: undefined,
  seed: undefined,
};

const KEYS = ["mix", "flows", "size", "zipf", "popularity", "malformed", "synflood", "vlan", "ipv6", "rate", "count", "seed"] as const;
type Key = (typeof KEYS)[number];

const RATE_MULTIPLIERS: Readonly<Record<string, number>> = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const PERCENT = 100;
// Weights that already sum to 1 (as a formatted spec's do) are kept as written, so formatting round-trips.
const SUMS_TO_ONE_TOLERANCE = 1e-9;

export function parseTrafficSpec(text: string): TrafficSpec {
  let spec: { -readonly [K in keyof TrafficSpec]: TrafficSpec[K] } = { ...DEFAULT_SPEC };
  const protocols: TrafficProtocol[] = [];
  const seen = new Set<string>();
  const once = (name: string, token: string): void => {
    if (seen.has(name)) throw new TrafficSpecError(token, `${name} is already given earlier in the spec`);
    seen.add(name);
  };
  for (const token of text.trim().split(/\s+/).filter((t) => t !== "")) {
    const equals = token.indexOf("=");
    if (equals < 0) {
      const word = token.toLowerCase();
      if ((TRAFFIC_PROTOCOLS as readonly string[]).includes(word)) {
        if (protocols.includes(word as TrafficProtocol)) throw new TrafficSpecError(token, "this protocol is already named earlier in the spec");
        if (seen.has("mix")) throw new TrafficSpecError(token, "name protocols either as words or with mix=, not both");
        protocols.push(word as TrafficProtocol);
      } else if (word === "ipv6" || word === "ipv4") {
        once("ipv6", token);
        spec.ipv6Share = word === "ipv6" ? 1 : 0;
      } else if (word === "vlan") {
        once("vlan", token);
        spec.vlanShare = 1;
      } else {
        throw new TrafficSpecError(token, `expected a protocol (udp, tcp, icmp), ipv4, ipv6, vlan, or key=value with key one of ${KEYS.join(", ")}`);
      }
      continue;
    }
    const key = token.slice(0, equals).toLowerCase();
    const value = token.slice(equals + 1);
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new TrafficSpecError(token, `unknown key "${key}"; expected one of ${KEYS.join(", ")}`);
    }
    once(key === "zipf" ? "popularity" : key, token);
    spec = { ...spec, ...parseValue(key as Key, value, token, protocols.length > 0) };
  }
  if (protocols.length > 0) {
    spec.mix = TRAFFIC_PROTOCOLS.filter((p) => protocols.includes(p)).map((protocol) => ({ protocol, share: 1 / protocols.length }));
  }
  return spec;
}

function parseValue(key: Key, value: string, token: string, protocolWords: boolean): Partial<TrafficSpec> {
  switch (key) {
    case "mix":
      if (protocolWords) throw new TrafficSpecError(token, "name protocols either as words or with mix=, not both");
      return { mix: parseMix(value, token) };
    case "flows":
      return { flowCount: parseCount(value, token, MAX_FLOWS, "a whole number of flows") };
    case "size":
      return { size: parseSize(value, token) };
    case "zipf": {
      const exponent = Number(value);
      if (value === "" || !Number.isFinite(exponent) || exponent <= 0) {
        throw new TrafficSpecError(token, "expected a Zipf exponent greater than 0, like zipf=1.1");
      }
      return { popularity: { kind: "zipf", exponent } };
    }
    case "popularity":
      if (value !== "uniform") throw new TrafficSpecError(token, "expected popularity=uniform (or zipf=s for a Zipf law)");
      return { popularity: { kind: "uniform" } };
    case "malformed":
      return { malformedShare: parseShare(value, token) };
    case "synflood":
      return { synFloodShare: parseShare(value, token) };
    case "vlan":
      return { vlanShare: parseShare(value, token) };
    case "ipv6":
      return { ipv6Share: parseShare(value, token) };
    case "rate":
      return { rateBitsPerSecond: parseRate(value, token) };
    case "count":
      return { packetCount: parseCount(value, token, Number.MAX_SAFE_INTEGER, "a whole number of packets") };
    case "seed":
      if (!/^[0-9]{1,20}$/.test(value) || BigInt(value) >= 1n << 64n) {
        throw new TrafficSpecError(token, "expected a seed that is a whole number from 0 to 2^64-1");
      }
      return { seed: BigInt(value) };
  }
}

function parseMix(value: string, token: string): ProtocolShare[] {
  const weights = new Map<TrafficProtocol, number>();
  for (const part of value.split(",")) {
    const [name, weightText, extra] = part.split(":");
    const protocol = name.toLowerCase() as TrafficProtocol;
    const weight = Number(weightText);
    if (!TRAFFIC_PROTOCOLS.includes(protocol) || extra !== undefined || weightText === undefined || weightText === "" || !Number.isFinite(weight) || weight < 0) {
      throw new TrafficSpecError(token, `expected protocol:weight pairs like mix=tcp:0.6,udp:0.3,icmp:0.1 (protocols ${TRAFFIC_PROTOCOLS.join(", ")})`);
    }
    if (weights.has(protocol)) throw new TrafficSpecError(token, `${protocol} appears twice in the mix`);
    weights.set(protocol, weight);
  }
  const total = [...weights.values()].reduce((sum, w) => sum + w, 0);
  if (total <= 0) throw new TrafficSpecError(token, "expected at least one protocol with a weight above 0");
  const divisor = Math.abs(total - 1) < SUMS_TO_ONE_TOLERANCE ? 1 : total;
  return TRAFFIC_PROTOCOLS.filter((p) => (weights.get(p) ?? 0) > 0).map((protocol) => ({ protocol, share: (weights.get(protocol) ?? 0) / divisor }));
}

function parseCount(value: string, token: string, max: number, what: string): number {
  const count = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > max) throw new TrafficSpecError(token, `expected ${what} from 1 to ${max}`);
  return count;
}

function parseSize(value: string, token: string): SizeDistribution {
  if (value.toLowerCase() === "imix") return { kind: "imix" };
  const expected = `expected a frame size in bytes (FCS included) from ${MIN_GENERATED_FRAME_BYTES} to ${MAX_GENERATED_FRAME_BYTES}, a range like 64..1500, or imix`;
  const frameBytes = (text: string): number => {
    const bytes = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(bytes >= MIN_GENERATED_FRAME_BYTES && bytes <= MAX_GENERATED_FRAME_BYTES)) throw new TrafficSpecError(token, expected);
    return bytes;
  };
  const range = value.split("..");
  if (range.length === 1) return { kind: "fixed", frameBytes: frameBytes(value) };
  if (range.length !== 2) throw new TrafficSpecError(token, expected);
  const minFrameBytes = frameBytes(range[0]);
  const maxFrameBytes = frameBytes(range[1]);
  if (minFrameBytes > maxFrameBytes) throw new TrafficSpecError(token, "expected a range low..high with low no larger than high");
  return minFrameBytes === maxFrameBytes ? { kind: "fixed", frameBytes: minFrameBytes } : { kind: "uniform", minFrameBytes, maxFrameBytes };
}

function parseShare(value: string, token: string): number {
  const percent = value.endsWith("%");
  const text = percent ? value.slice(0, -1) : value;
  const number = /^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(text) ? Number(text) : NaN;
  const share = percent ? number / PERCENT : number;
  if (!(share >= 0 && share <= 1)) throw new TrafficSpecError(token, "expected a share from 0 to 1 (like 0.05) or a percentage (like 5%)");
  return share;
}

function parseRate(value: string, token: string): number {
  const match = /^([0-9]*\.?[0-9]+)([kmgt]?)(bps|bit\/s|b\/s)?$/i.exec(value);
  const rate = match === null ? NaN : Math.round(Number(match[1]) * RATE_MULTIPLIERS[match[2].toLowerCase()]);
  if (!(rate >= 1) || !Number.isSafeInteger(rate)) {
    throw new TrafficSpecError(token, "expected a line rate in bits per second like 10G, 40G, 2.5G or 100M");
  }
  return rate;
}

// The canonical spelling of a spec; parsing it gives the same spec back.
export function formatTrafficSpec(spec: TrafficSpec): string {
  const tokens = [
    `mix=${spec.mix.map((entry) => `${entry.protocol}:${entry.share}`).join(",")}`,
    `flows=${spec.flowCount}`,
    `size=${formatSizeDistribution(spec.size)}`,
    spec.popularity.kind === "zipf" ? `zipf=${spec.popularity.exponent}` : "popularity=uniform",
    `ipv6=${spec.ipv6Share}`,
    `vlan=${spec.vlanShare}`,
    `malformed=${spec.malformedShare}`,
    `synflood=${spec.synFloodShare}`,
    `rate=${spec.rateBitsPerSecond}`,
  ];
  if (spec.packetCount !== undefined) tokens.push(`count=${spec.packetCount}`);
  if (spec.seed !== undefined) tokens.push(`seed=${spec.seed}`);
  return tokens.join(" ");
}
