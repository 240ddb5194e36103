// Where a run's packets come from: a capture file (pcap or pcapng) read as a
// stream, or the synthetic generator driven by a spec string. Either way the
// driver sees a one-pass stream of frames with an optional arrival time, and
// never more than one packet at a time is held here.
//
// Replay: a capture, and a spec without `rate=`, are offered back to back at
// the line rate (the card's capacity is the question; a traffic generator
// replays a capture the same way). A spec that names its rate keeps its
// timestamps, so the card sees exactly that offered load.
//
// A capture that breaks off (cut short, or corrupt from some record on) fails
// the run with the reader's sentence; with --partial the traffic ends there
// instead, and the caller hears where and after how many packets.
//
// Captured packets become the frames XDP sees in src/traffic/xdp-frames.ts
// (other link types get an Ethernet header, cut packets are padded to their
// wire length); the caller hears once what was changed, after the first pass
// that read the whole capture.
import { SimInputError } from "./errors.ts";
import {
  DEFAULT_SPEC,
  PcapError,
  generateTraffic,
  openCaptureFile,
  parseTrafficSpec,
  xdpFrames,
  type CaptureReader,
  type TrafficSpec,
} from "../traffic/index.ts";
import { TrafficCursor } from "../traffic/gen/generator.ts";
import type { TrafficSource } from "../report/schema.ts";

export type TrafficChoice = { readonly kind: "pcap"; readonly file: string } | { readonly kind: "generator"; readonly spec: string };

export interface TrafficPacket {
  readonly data: Uint8Array;
  // Nanoseconds after the first packet; undefined: back to back at the line rate.
  readonly arrivalNs: number | undefined;
}

export interface TrafficStream extends Iterable<TrafficPacket> {
  readonly source: TrafficSource;
  // Packets the stream will yield, when known in advance (a generator; a capture is not counted ahead).
  readonly expectedPackets: number | undefined;
  // The same packets written into buffers the caller owns and reuses (the generator's: no array per packet).
  frames?(): FrameReader;
}

export interface FrameReader {
  // The longest frame readInto writes: the buffers given must hold this many bytes.
  readonly maxFrameBytes: number;
  // Writes the next frame into `into` and returns its length, or -1 after the last.
  readInto(into: Uint8Array): number;
  // The arrival of the frame last read (as TrafficPacket's).
  readonly arrivalNs: number | undefined;
}

// Packets a generated run has when neither --packets nor the spec's count= says.
export const DEFAULT_RUN_PACKETS = 10_000;

export interface TrafficOptions {
  // --packets: at most this many packets (a capture) or exactly this many (a generator).
  readonly packetLimit?: number;
  // Overrides the spec's seed=.
  readonly seed?: number;
  // --partial: a capture that breaks off ends the traffic there (onCaptureBroken hears of it, once).
  readonly partialCapture?: boolean;
  readonly onCaptureBroken?: (problem: string, packetsRead: number) => void;
  // What was done to the capture's packets to make them Ethernet frames of their wire length (xdp-frames.ts), one sentence each, once.
  readonly onCaptureNote?: (note: string) => void;
}

export function openTraffic(choice: TrafficChoice, options: TrafficOptions = {}): TrafficStream {
  if (options.packetLimit !== undefined && !(Number.isSafeInteger(options.packetLimit) && options.packetLimit >= 1)) {
    throw new SimInputError(`--packets must be a whole number of at least 1, not ${options.packetLimit}.`);
  }
  return choice.kind === "pcap" ? captureStream(choice.file, options) : generatorStream(choice.spec, options);
}

function captureStream(file: string, options: TrafficOptions): TrafficStream {
  const limit = options.packetLimit;
  const partial = options.partialCapture === true;
  // Opened here so a missing or malformed header is reported before the run starts (with --partial, as no packets).
  const first = openCaptureFile(file, { partial });
  let firstUse = true;
  let told = false;
  let noted = false;
  const source: TrafficSource = { kind: "pcap", file, format: first.format ?? null, replay: "line-rate" };
  return {
    source,
    expectedPackets: undefined,
    *[Symbol.iterator]() {
      const reader: CaptureReader = firstUse ? first : openCaptureFile(file, { partial });
      firstUse = false;
      const frames = xdpFrames(file);
      let n = 0;
      try {
        for (const packet of reader) {
          if (limit !== undefined && n >= limit) break;
          const data = frames.frameOf(packet);
          if (data === undefined) continue;
          n++;
          yield { data, arrivalNs: undefined };
        }
      } catch (error) {
        if (error instanceof PcapError) throw new SimInputError(`${error.message.replace(/\.$/, "")}; --partial uses the ${n} packet${n === 1 ? "" : "s"} before it.`, error.position);
        throw error;
      } finally {
        reader.close();
      }
      const broken = reader.error;
      if (n === 0 && broken) throw new SimInputError(`${file}: the capture breaks off before its first packet: ${broken.message.slice(broken.file.length + 2)}`, broken.position);
      if (n === 0 && frames.counts.leftOut.size > 0) throw new SimInputError(`${frames.notes().at(-1)!.replace(/\.$/, "")}; no packet is left to run.`, { file });
      if (n === 0) throw new SimInputError(`${file}: the capture holds no packets.`, { file });
      if (!noted) {
        noted = true;
        for (const note of frames.notes()) options.onCaptureNote?.(note);
      }
      if (broken && !told && (limit === undefined || n < limit)) {
        told = true;
        options.onCaptureBroken?.(broken.message, n);
      }
    },
  };
}

// What an empty spec means (the generator's defaults: one UDP flow of minimum-size frames).
const DEFAULT_SPEC_TEXT = "udp";

// Whether the spec text names its own rate (otherwise it is offered at the line rate).
const namesRate = (spec: string): boolean => /(^|\s)rate=/i.test(spec);

function generatorStream(text: string, options: TrafficOptions): TrafficStream {
  const spec: TrafficSpec = text.trim() === "" ? DEFAULT_SPEC : parseTrafficSpec(text);
  const packets = options.packetLimit ?? spec.packetCount ?? DEFAULT_RUN_PACKETS;
  const timestamps = namesRate(text);
  const generateOptions = { packets, ...(options.seed === undefined ? {} : { seed: options.seed }) };
  const generated = generateTraffic(spec, generateOptions);
  return {
    // The spec as the user wrote it: the formatted form always names a rate, which would misstate the replay.
    source: { kind: "generator", spec: text.trim() === "" ? DEFAULT_SPEC_TEXT : text.trim(), replay: timestamps ? "timestamps" : "line-rate" },
    expectedPackets: packets,
    *[Symbol.iterator]() {
      for (const packet of generated) {
        yield { data: packet.data, arrivalNs: timestamps ? Number(packet.timestampNs) : undefined };
      }
    },
    frames(): FrameReader {
      const cursor = new TrafficCursor(spec, generateOptions);
      const reader = {
        maxFrameBytes: cursor.maxFrameBytes,
        arrivalNs: undefined as number | undefined,
        readInto(into: Uint8Array): number {
          const length = cursor.next(into);
          if (timestamps && length >= 0) reader.arrivalNs = Number(cursor.timestampNs());
          return length;
        },
      };
      return reader;
    },
  };
}

