// Puts a packet stream on the card's ingress ports. Replayed at the line rate,
// each packet takes the port that falls free first and arrives when its last
// bit is in (start + its wire time at the port rate), so every port is kept
// busy. hw-model's streaming simulate() admits packets in the order given, so
// they are handed over in order of arrival: a short frame that finishes
// before a long one started earlier on the other port goes first. Packets
// start in order, and no frame is shorter on the wire than the minimum, so a
// packet can be released once every port's next start is later than its
// arrival minus that minimum: only a few packets per port are held.
// A stream with its own timestamps keeps them and alternates over the ports.
import { wireNs, type Preset } from "../../hw-model/index.ts";
import type { TrafficPacket } from "./traffic-source.ts";

export interface ScheduledPacket {
  readonly data: Uint8Array;
  // Index in the traffic as read.
  readonly index: number;
  readonly port: number;
  // When the last bit is in, from the first packet's start (undefined: let the model decide).
  readonly arrivalNs: number;
}

export function* scheduleOnPorts(traffic: Iterable<TrafficPacket>, preset: Preset, ports: number, rateGbps: number): Generator<ScheduledPacket> {
  const portFreeNs = new Float64Array(ports);
  const minWireNs = wireNs(preset, 0, rateGbps);
  // Pending packets, in arrival order (a small sorted array: a few per port).
  const pending: ScheduledPacket[] = [];
  let index = 0;
  let firstTimestampNs: number | undefined;
  for (const packet of traffic) {
    if (packet.arrivalNs !== undefined) {
      firstTimestampNs ??= packet.arrivalNs;
      yield { data: packet.data, index, port: index % ports, arrivalNs: packet.arrivalNs - firstTimestampNs };
      index++;
      continue;
    }
    let port = 0;
    for (let p = 1; p < ports; p++) if (portFreeNs[p] < portFreeNs[port]) port = p;
    const arrivalNs = portFreeNs[port] + wireNs(preset, packet.data.length, rateGbps);
    portFreeNs[port] = arrivalNs;
    insertByArrival(pending, { data: packet.data, index, port, arrivalNs });
    index++;
    // The next packet starts no earlier than the earliest free port, and arrives at least minWireNs later.
    let nextStartNs = portFreeNs[0];
    for (let p = 1; p < ports; p++) nextStartNs = Math.min(nextStartNs, portFreeNs[p]);
    while (pending.length > 0 && pending[0].arrivalNs <= nextStartNs + minWireNs) yield pending.shift()!;
  }
  yield* pending;
}

function insertByArrival(list: ScheduledPacket[], packet: ScheduledPacket): void {
  let at = list.length;
  while (at > 0 && (list[at - 1].arrivalNs > packet.arrivalNs || (list[at - 1].arrivalNs === packet.arrivalNs && list[at - 1].index > packet.index))) at--;
  list.splice(at, 0, packet);
}
