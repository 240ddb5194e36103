// Published measurements of eBPF/XDP programs offloaded to Netronome Agilio
// cards, each with the model's prediction for the same program, packet size and
// line rate. docs/validation.md holds the table these produce; a test re-derives
// it so the document cannot drift from the model.
import { createMap } from "../../src/maps/create.ts";
import { MapType } from "../../src/maps/types.ts";
import { loadPreset } from "../presets/load.ts";
import { simulate, type SimPacket } from "../timing/simulator.ts";
import { totalCores } from "../presets/derive.ts";
import { fillServers, l4lbFrame, l4lbImage, L4LB_MAX_SERVERS, L4LB_VALUE_BYTES } from "./l4lb.ts";
import { perfEventsImage } from "./perf-events.ts";

export interface Published {
  readonly value: number;
  readonly unit: string;
  // A point value, or a bound the source states ("cannot reach", "more than").
  readonly kind: "point" | "at most" | "at least";
  readonly source: string;
}

export interface ValidationCase {
  readonly id: string;
  readonly program: string;
  readonly setup: string;
  readonly published: Published;
  readonly predict: () => number;
  // Why the model misses by more than 25% (required when it does).
  readonly missReason?: string;
}

export interface ValidationRow {
  readonly id: string;
  readonly program: string;
  readonly setup: string;
  readonly published: Published;
  readonly predicted: number;
  // Relative error of the prediction against the point value, or 0 when a bound holds.
  readonly errorPercent: number;
  readonly missReason?: string;
}

// Packets per simulated run: enough for a steady state, few enough for a fast test.
const PACKETS = 12000;

function allCores(preset: string): number[] {
  return Array.from({ length: totalCores(loadPreset(preset)) }, (_, i) => i);
}

export const validationCases: readonly ValidationCase[] = [
  {
    id: "l4lb-40g",
    program: "l4lb: parse, jhash, hash-map lookup, adjust_head, IP-in-IP encapsulation, 2 atomic counters, XDP_TX",
    setup: "nfp-4000, one 40 GbE port, 124-byte frames (144 bytes after encapsulation), 32 destinations over 512 keys, all 48 cores",
    published: {
      value: 33.03,
      unit: "Mpps",
      kind: "point",
      source:
        "Netronome bpf-samples, l4lb/README.rst (offload mode, 32 destinations): 33,026,761 pkts/s and 38,046,848,592 bits/s counted by the program, i.e. 144 bytes per packet after adding a 20-byte header",
    },
    predict: () => {
      const preset = loadPreset("nfp-4000");
      const servers = createMap({ name: "servers", type: MapType.HASH, keySize: 4, valueSize: L4LB_VALUE_BYTES, maxEntries: L4LB_MAX_SERVERS, flags: 0 });
      fillServers(servers, 32);
      const packets: SimPacket[] = Array.from({ length: PACKETS }, (_, i) => ({ data: l4lbFrame(124, i) }));
      const r = simulate(preset, l4lbImage(servers, allCores("nfp-4000")), packets, { keepRecords: false, rateGbps: 40, ports: 1 });
      return r.programPps / 1e6;
    },
  },
  {
    id: "perf-control-queue",
    program: "one bpf_perf_event_output per packet (16 bytes of metadata + 64 packet bytes), as xdpdump does",
    setup: "nfp-4000, 2 x 25 GbE, 64-byte frames, all 48 cores; events to the host",
    published: {
      value: 0.5,
      unit: "M events/s",
      kind: "at most",
      source:
        "Linux commit 'nfp: bpf: allow receiving perf events on data queues' (J. Kicinski, 2018-07-25): through the control queue the driver 'can't even reach 0.5Msps with perf events'",
    },
    predict: () => perfEventRate(),
    missReason:
      "the model charges an event only its PCIe transfer; the limit measured here is on the host, where the driver allocates an skb per control message on a single control queue. The model has no host-side cost for perf events (host.passCostNs applies to packets passed up), so it predicts the card's rate instead.",
  },
  {
    id: "perf-data-queues",
    program: "as above",
    setup: "as above",
    published: {
      value: 5,
      unit: "M events/s",
      kind: "at least",
      source:
        "same commit: with events delivered on the data queues the host receives 'more than 5Msps per queue' (Xeon E5-2630 v4 2.20GHz); the model has no queues, so its total is held against one queue's rate",
    },
    predict: () => perfEventRate(),
  },
];

let perfRateCache: number | undefined;
function perfEventRate(): number {
  if (perfRateCache !== undefined) return perfRateCache;
  const preset = loadPreset("nfp-4000");
  const events = createMap({ name: "events", type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
  events.sysUpdate?.(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(3, 0, 0, 0), 0);
  const frame = new Uint8Array(64);
  frame[12] = 0x08;
  const packets: SimPacket[] = Array.from({ length: PACKETS }, () => ({ data: frame }));
  const r = simulate(preset, perfEventsImage(events, allCores("nfp-4000")), packets, { keepRecords: false });
  const eventsOut = r.units.find((u) => u.kind === "pcie")!.commands;
  perfRateCache = eventsOut / (r.durationNs * 1e-9) / 1e6;
  return perfRateCache;
}

export function errorPercent(published: Published, predicted: number): number {
  const off = ((predicted - published.value) / published.value) * 100;
  if (published.kind === "point") return off;
  if (published.kind === "at most") return predicted <= published.value ? 0 : off;
  return predicted >= published.value ? 0 : off;
}

export function runValidation(cases: readonly ValidationCase[] = validationCases): ValidationRow[] {
  return cases.map((c) => {
    const predicted = c.predict();
    return { id: c.id, program: c.program, setup: c.setup, published: c.published, predicted, errorPercent: errorPercent(c.published, predicted), missReason: c.missReason };
  });
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

export function validationTableMarkdown(rows: readonly ValidationRow[]): string {
  const out = ["| # | program | setup | published | model | error | source |", "|---|---|---|---|---|---|---|"];
  for (const r of rows) {
    const bound = r.published.kind === "point" ? "" : `${r.published.kind} `;
    const error = r.published.kind !== "point" && r.errorPercent === 0 ? "within bound" : `${r.errorPercent >= 0 ? "+" : ""}${r.errorPercent.toFixed(1)}%`;
    out.push(`| ${r.id} | ${r.program} | ${r.setup} | ${bound}${fmt(r.published.value)} ${r.published.unit} | ${fmt(r.predicted)} ${r.published.unit} | ${error} | ${r.published.source} |`);
  }
  const misses = rows.filter((r) => Math.abs(r.errorPercent) > 25);
  if (misses.length) {
    out.push("", "Misses by more than 25%:", "");
    for (const r of misses) out.push(`- **${r.id}**: ${r.missReason ?? "(no explanation recorded)"}`);
  }
  return out.join("\n");
}
