// Helpers that send data out of band: bpf_perf_event_output (the XDP variant,
// which can append packet bytes) and the ring buffer (bpf_ringbuf_output,
// reserve, submit, discard, query). The map keeps the kernel's accounting (full
// rings, empty perf slots); every record that makes it out is also captured
// as an event of the run, in the order a reader would see it.
import { Errno } from "../maps/errno.ts";
import { PERF_CTXLEN_MASK, PERF_CURRENT_CPU, PERF_INDEX_MASK } from "../maps/flags.ts";
import { MapType, type BpfMap } from "../maps/types.ts";
import { isOutcome, mapArgument, readBytes, xdpSession } from "./args.ts";
import { helperName } from "./prototypes.ts";
import { misuse, returns, type HelperCall, type HelperOutcome } from "./runtime.ts";

const asU32 = (value: bigint): number => Number(BigInt.asUintN(32, value));

export function perfEventOutput(call: HelperCall): HelperOutcome {
  const xdp = xdpSession(call);
  if (isOutcome(xdp)) return xdp;
  const map = mapArgument(call, 1);
  if (isOutcome(map)) return map;
  if (map.def.type !== MapType.PERF_EVENT_ARRAY) return wrongMap(call, map);
  const flags = call.args[2];
  if ((flags & ~(PERF_CTXLEN_MASK | PERF_INDEX_MASK)) !== 0n) return returns(-Errno.EINVAL);
  const packetBytes = Number((flags & PERF_CTXLEN_MASK) >> 32n);
  const buffer = xdp.buffer;
  if (packetBytes > buffer.dataEnd - buffer.data) return returns(-Errno.EFAULT);
  const meta = readBytes(call, call.args[3], Number(call.args[4]));
  if (isOutcome(meta)) return meta;
  const sample = new Uint8Array(meta.length + packetBytes);
  sample.set(meta);
  sample.set(buffer.frame.subarray(buffer.data, buffer.data + packetBytes), meta.length);
  const index = flags & PERF_INDEX_MASK;
  const cpu = index === PERF_CURRENT_CPU ? call.machine.cpu : Number(index);
  const result = map.perfEventOutput
    ? map.perfEventOutput(flags, sample, call.machine.cpu)
    : cpu >= map.def.maxEntries
      ? -Errno.E2BIG
      : 0;
  if (result === 0) call.machine.events.push({ kind: "perf-event", pc: call.pc, map: map.def.name, cpu, data: sample });
  return returns(result);
}

export function ringbufOutput(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  if (!map.ringbuf) return wrongMap(call, map);
  const data = readBytes(call, call.args[1], asU32(call.args[2]));
  if (isOutcome(data)) return data;
  const result = map.ringbuf.output(data, asU32(call.args[3]));
  if (result === 0) call.machine.events.push({ kind: "ringbuf", pc: call.pc, map: map.def.name, data });
  return returns(result);
}

export function ringbufReserve(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  if (!map.ringbuf) return wrongMap(call, map);
  const sample = map.ringbuf.reserve(asU32(call.args[1]), asU32(call.args[2]));
  if (!sample) return returns(0);
  const machine = call.machine;
  const region = machine.memory.allocate({
    kind: "ringbuf-record",
    label: `record reserved in ring buffer '${map.def.name}'`,
    bytes: sample.data,
    writable: true,
  });
  // The record takes its place among the events now (reservation order) and fills it on submit.
  machine.reserved.set(region.base, { map, sample, region, eventSlot: machine.events.length });
  machine.events.push(undefined);
  return returns(region.base);
}

function commit(call: HelperCall, submit: boolean): HelperOutcome {
  const machine = call.machine;
  const record = machine.reserved.get(call.args[0]);
  if (!record || !record.map.ringbuf) {
    return misuse(`${helperName(call.id)} got 0x${call.args[0].toString(16)}, which is not a reserved ring-buffer record`);
  }
  const flags = asU32(call.args[1]);
  if (submit) {
    record.map.ringbuf.submit(record.sample, flags);
    machine.events[record.eventSlot] = { kind: "ringbuf", pc: call.pc, map: record.map.def.name, data: record.sample.data.slice() };
  } else {
    record.map.ringbuf.discard(record.sample, flags);
  }
  // The pointer is released: any later access through it faults.
  machine.memory.unmap(record.region);
  machine.reserved.delete(call.args[0]);
  return returns(0);
}

export const ringbufSubmit = (call: HelperCall): HelperOutcome => commit(call, true);
export const ringbufDiscard = (call: HelperCall): HelperOutcome => commit(call, false);

export function ringbufQuery(call: HelperCall): HelperOutcome {
  const map = mapArgument(call, 0);
  if (isOutcome(map)) return map;
  if (!map.ringbuf) return wrongMap(call, map);
  return returns(map.ringbuf.query(asU32(call.args[1])));
}

const wrongMap = (call: HelperCall, map: BpfMap): HelperOutcome =>
  misuse(`${helperName(call.id)} cannot use map '${map.def.name}' (type ${map.def.type})`);
