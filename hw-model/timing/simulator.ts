// The discrete-event timing model of the card. Packets arrive from the MAC at
// line rate (or at their own timestamps), pass the packet engine into the first
// stage's ring, are taken by idle hardware threads, and have their work traces
// replayed: a core issues one thread's instructions at a time, a thread that
// waits for memory is swapped out and the next ready thread (round robin) runs,
// memory commands queue at their unit. A stage ends by putting the packet on the
// next ring (waiting or dropping when it is full), or with a verdict that sends
// it to the wire, up to the host over PCIe, or frees it.
//
// Function and timing meet once per packet: when a packet is admitted at
// ingress, the functional executor runs all its stages at once, in arrival
// order, and the timing model then replays the trace it wrote. So map updates
// of concurrent packets are applied in arrival order. (A packet lost later, at
// a full inter-stage ring under the "drop" policy, has had its later stages'
// effects applied already; the default "wait" policy never loses packets there.)
//
// Time is in core cycles (floating point); the queue skips idle time.
import { Executor, type PacketResult, type PacketInput } from "../exec/executor.ts";
import { T_END, T_MEM, T_RUN, T_STAGE, T_WAIT, EndKind, TARGET_PACKET_HEAD, TARGET_PACKET_TAIL, TARGET_THREAD_SCRATCH, MemKind } from "../exec/trace.ts";
import { Verdict } from "../isa/verdict.ts";
import type { Preset } from "../presets/types.ts";
import { execParamsOf, cyclesPerNs, wireBytes, firmwareCyclesPerPacket } from "../presets/derive.ts";
import { loadImage, type NicImage, type LoadedImage } from "../image.ts";
import { EventQueue } from "./event-queue.ts";
import { MemoryUnits } from "./memory-unit.ts";
import { LatencyHistogram } from "./latency.ts";
import { TimedFifo } from "./fifo.ts";
import { InFlight, FATE_DROPPED, FATE_HOST, FATE_LOST, FATE_WIRE } from "./in-flight.ts";

export interface SimPacket extends PacketInput {
  // When the packet's last bit arrives; default: back to back at line rate.
  readonly arrivalNs?: number;
  // Ingress port (default: packets alternate over the ports).
  readonly port?: number;
}

export interface HostHandoff {
  readonly packet: Uint8Array;
  readonly registers: Int32Array;
  readonly liveMask: number;
  readonly localMemory: Uint8Array;
  readonly localMemoryOffset: number;
  // The carried bytes of the thread's scratch window (address region 4), from scratchOffset.
  readonly scratch: Uint8Array;
  readonly scratchOffset: number;
  // The map value behind a handle the NIC gave this packet (hw-model/exec/address.ts), if any.
  valueOfHandle(handle: number): { readonly mapIndex: number; readonly view: Uint8Array } | undefined;
  // The next number of the NIC's bpf_get_prandom_u32 stream (xorshift32, as src/helpers' seededRandom), as an unsigned 32-bit value.
  nextRandomU32(): number;
  // The receive queue the packet arrived on, as the NIC program saw it (xdp_md ingress_ifindex, rx_queue_index).
  readonly ingressIfindex: number;
  readonly rxQueueIndex: number;
}

// The part of the program that runs on the host (not offloaded).
export interface HostStage {
  // `report` is what the host part did beyond its verdict (events, a fault), in the host stage's own terms:
  // the model carries it to the packet's record untouched.
  run(handoff: HostHandoff): { readonly action: number; readonly data?: Uint8Array; readonly costNs: number; readonly report?: unknown };
}

export interface SimOptions {
  readonly seed?: number;
  // What a stage does when the next stage's ring is full.
  readonly ringPolicy?: "wait" | "drop";
  // Port rate (Gb/s) and port count overrides; default the preset's.
  readonly rateGbps?: number;
  readonly ports?: number;
  readonly host?: HostStage;
  // Keep a record per packet in the result (default true); onPacket sees each either way.
  readonly keepRecords?: boolean;
  readonly onPacket?: (record: PacketRecord) => void;
}

export type Fate = "wire" | "host" | "dropped" | "lost";

export interface StageVisit {
  readonly stage: number;
  readonly core: number;
  readonly thread: number;
  readonly startNs: number;
  readonly endNs: number;
}

export interface PacketRecord {
  readonly id: number;
  readonly port: number;
  readonly bytes: number;
  readonly arrivalNs: number;
  // When a thread first took the packet (NaN if it never ran).
  readonly startNs: number;
  // When it left: on the wire, in the host, freed, or lost.
  readonly endNs: number;
  readonly fate: Fate;
  // The XDP action (of the NIC program, or of the host stage), -1 when none.
  readonly action: number;
  readonly lostReason?: string;
  readonly stages: readonly StageVisit[];
  // What the program did to the packet (undefined when lost at ingress).
  readonly result?: PacketResult;
  // The host stage's report on the packet's host part, when it had one.
  readonly hostReport?: unknown;
}

export interface UnitUsage {
  readonly name: string;
  readonly kind: string;
  readonly busyCycles: number;
  readonly utilization: number;
  readonly commands: number;
  readonly meanQueueCycles: number;
}

export interface CoreUsage {
  readonly core: number;
  readonly island: number;
  readonly stage: number;
  readonly busyCycles: number;
  readonly utilization: number;
  readonly packets: number;
}

export interface SimResult {
  readonly preset: string;
  readonly packets: number;
  readonly records: readonly PacketRecord[];
  readonly processed: number;
  readonly lost: Readonly<Record<string, number>>;
  readonly fates: Readonly<Record<Fate, number>>;
  // From the first arrival to the last departure.
  readonly durationNs: number;
  // Packets that left the card (not lost) per second over the duration.
  readonly throughputPps: number;
  // Packets whose NIC program ran to its end per second, from the first arrival to the last
  // program end (the rate counters kept by the program itself see).
  readonly programPps: number;
  readonly offeredPps: number;
  readonly latencyNs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
  readonly units: readonly UnitUsage[];
  readonly cores: readonly CoreUsage[];
  // Per stage: the share of its threads' time spent holding a packet, less the time a thread sat ready
  // waiting for its core to issue it (that is the cores' saturation, shown by their utilisation).
  readonly threadOccupancy: readonly number[];
  // Utilisation of the ingress ports (offered frames' wire time), the packet engine, the port egress, the host cores.
  readonly lineUtilization: number;
  readonly ingressUtilization: number;
  readonly egressUtilization: number;
  readonly hostUtilization: number;
  // The busiest resource: where adding load stops helping.
  readonly bottleneck: { readonly name: string; readonly utilization: number };
}

const EV_ARRIVAL = 0;
const EV_CONTINUE = 1;
// A waiting thread's signals have all arrived.
const EV_READY = 2;
const EV_RING_ARRIVE = 3;
const EV_DONE = 4;
// The packet engine's head packet reaches the first ring.
const EV_PE_DONE = 5;

const T_IDLE = 0;
const T_READY = 1;
const T_RUNNING = 2;
const T_WAITING = 3;
const T_BLOCKED = 4;

// Signal bit of the ring get that starts every stage (beyond the program's 16 signals).
const FETCH_SIGNAL = 16;

const FATE_NAMES: readonly Fate[] = ["wire", "host", "dropped", "lost"];

interface Ring {
  readonly stage: number;
  readonly capacity: number;
  readonly queue: number[];
  head: number;
  // Queued packets plus puts in flight.
  occupancy: number;
  readonly idle: number[];
  idleHead: number;
  readonly blocked: { tid: number; slot: number; bytes: number }[];
  readonly unit: number;
}

// The run's clock and its running sums (cycles). One object with number fields: V8 updates those in
// place, where a closure variable holding a fractional number gets a new heap box on every write.
class RunClock {
  now = 0;
  firstArrival = Infinity;
  lastEnd = 0;
  // Last end of a packet's NIC program.
  lastProgramEnd = 0;
  // Wire time of every frame offered on the ingress ports.
  ingressWireCycles = 0;
  txBusy = 0;
  peFree = 0;
  peBusy = 0;
  hostBusy = 0;
  firstOffered = Infinity;
  lastOffered = -Infinity;
  // Start of the thread a kick deferred to the end of the current event.
  deferredAt = 0;

  constructor() {
    // Hold fractional numbers from the start: V8 changes an object's layout on its first fractional
    // write to a field that held an integer, which throws away code compiled for the old layout.
    this.now = this.lastEnd = this.lastProgramEnd = this.ingressWireCycles = this.txBusy = this.peFree = this.peBusy = this.hostBusy = this.deferredAt = 0.5;
    this.now = this.lastEnd = this.lastProgramEnd = this.ingressWireCycles = this.txBusy = this.peFree = this.peBusy = this.hostBusy = this.deferredAt = 0;
  }
}

// `packets` may be an array (arrival times worked out in advance, any order of timestamps) or any
// iterable, read lazily one packet ahead: then packets are admitted in the order given (a packet's
// arrival is never earlier than the one before it), so a long trace needs no memory per packet
// beyond those in flight (use onPacket and keepRecords: false).
export function simulate(preset: Preset, image: NicImage | LoadedImage, packets: Iterable<SimPacket>, options: SimOptions = {}): SimResult {
  const loaded = "exec" in image ? image : loadImage(preset, image);
  const topo = loaded.topology;
  const seed = options.seed ?? 1;
  const dropWhenFull = (options.ringPolicy ?? "wait") === "drop";
  const keep = options.keepRecords ?? true;
  const recording = keep || options.onPacket !== undefined;
  const onPacket = options.onPacket;
  const hostStage = options.host;
  const params = execParamsOf(preset);
  const executor = new Executor(loaded.exec, params, seed);
  const cpn = cyclesPerNs(preset);
  const toNs = (cycles: number): number => cycles / cpn;
  const T = topo.threadsPerCore;
  const swapCycles = preset.core.contextSwapCycles;
  const issueCycles = preset.core.issueCyclesPerInstruction;
  const rateGbps = options.rateGbps ?? preset.ports.rateGbps;
  const portCount = options.ports ?? preset.ports.count;
  // Wire time of a frame by its length, worked out once per length.
  const wireCyclesOf: number[] = [];
  const wireCycles = (bytes: number): number => {
    const known = wireCyclesOf[bytes];
    if (known !== undefined) return known;
    return (wireCyclesOf[bytes] = ((wireBytes(preset, bytes) * 8) / rateGbps) * cpn);
  };
  const egressQueuePackets = preset.ports.egressQueuePackets;
  const descriptorBytes = preset.rings.descriptorBytes;
  const distributionCycles = preset.packet.distributionCyclesPerPacket;
  // The firmware's own work per packet, issued by the thread that runs stage 0 once it has the packet.
  const firmwareCycles = firmwareCyclesPerPacket(preset);
  const hostRxRingPackets = preset.host.rxRingPackets;
  const pcieOverheadBytes = preset.pcie.perPacketOverheadBytes;
  const passCostNs = preset.host.passCostNs;

  // Memory units and their cache hit ratios (EMEM: cache size over the footprint of the maps placed there).
  const clk = new RunClock();
  const units = new MemoryUnits(topo.units, seed, preset.memory.remoteIslandExtraCycles, clk);
  const footprint = new Map<number, number>();
  for (const m of loaded.maps) footprint.set(m.target, (footprint.get(m.target) ?? 0) + m.footprintBytes());
  for (const u of topo.units) {
    const f = footprint.get(u.index) ?? 0;
    units.hitRatio[u.index] = u.cacheBytes > 0 && f > 0 ? Math.min(1, u.cacheBytes / f) : 1;
  }
  const packetTailUnit = topo.unitFor("emem", -1);
  const pcieUnit = topo.pcieUnit;
  const ringKind = preset.rings.unit[0];
  const ctmOfIsland = Int32Array.from({ length: preset.topology.islands }, (_, island) => topo.unitFor("ctm", island));
  // A thread's scratch window lives in its own island's unit (memory.threadScratch.unit).
  const scratchOfIsland = Int32Array.from({ length: preset.topology.islands }, (_, island) => topo.unitFor(preset.memory.threadScratch.unit[0], island));

  // Cores and threads.
  const stages = loaded.image.stages;
  const coreStage = new Int32Array(topo.cores).fill(-1);
  stages.forEach((s, i) => s.cores.forEach((c) => (coreStage[c] = i)));
  const coreIsland = Int32Array.from({ length: topo.cores }, (_, c) => topo.islandOfCore(c));
  const coreRunning = new Int32Array(topo.cores).fill(-1);
  const coreLast = new Int32Array(topo.cores).fill(T - 1);
  // Contexts of each core in the ready state, one bit each.
  const coreReady = new Int32Array(topo.cores);
  const coreFreeAt = new Float64Array(topo.cores);
  const coreBusy = new Float64Array(topo.cores);
  const corePackets = new Float64Array(topo.cores);
  const nThreads = topo.cores * T;
  const tState = new Int8Array(nThreads);
  const tSlot = new Int32Array(nThreads).fill(-1);
  // Completion time of each thread's signals (16 program signals + the ring fetch).
  const SIG_SLOTS = FETCH_SIGNAL + 1;
  const tSigAt = new Float64Array(nThreads * SIG_SLOTS);
  const tFetch = new Int8Array(nThreads);

  const rings: Ring[] = stages.map((s, i) => {
    const firstIsland = topo.islandOfCore(s.cores[0]);
    const ring: Ring = {
      stage: i,
      capacity: i === 0 ? preset.packet.ingressBufferPackets : (s.ringCapacity ?? preset.rings.capacity),
      queue: [],
      head: 0,
      occupancy: 0,
      idle: [],
      idleHead: 0,
      blocked: [],
      unit: topo.unitFor(ringKind, firstIsland),
    };
    // Idle threads interleaved over the stage's cores, so light load spreads over cores.
    for (let ctx = 0; ctx < T; ctx++) for (const c of s.cores) ring.idle.push(c * T + ctx);
    return ring;
  });

  const pk = new InFlight();
  const records: PacketRecord[] = [];
  const lost: Record<string, number> = {};
  // Packets per fate (FATE_* order).
  const fateCounts = new Float64Array(FATE_NAMES.length);
  const latencies = new LatencyHistogram();
  const queue = new EventQueue();
  let processed = 0;
  // Packets whose NIC program ran to its end (whatever happened to them afterwards).
  let programDone = 0;

  const portFree = new Float64Array(portCount);
  const txFree = new Float64Array(portCount);
  // Frames queued or being sent per port (their departure times, oldest first).
  const txQueue: number[][] = Array.from({ length: portCount }, () => []);
  // Admitted packets in the packet engine, with when each is through it.
  const peQueue = new TimedFifo();
  const hostFree = new Float64Array(preset.host.cores);
  // Packets DMA'd to the host and not yet served by a host core.
  let hostBacklog = 0;
  const tBusySince = new Float64Array(nThreads);
  // When each ready thread became ready, and how long it has waited ready for its core while holding its
  // packet: that wait is the core's congestion, not the thread's, so it is left out of the thread occupancy.
  const tReadySince = new Float64Array(nThreads);
  const tReadyWait = new Float64Array(nThreads);
  const stageThreadBusy = new Float64Array(stages.length);

  // --- packets ---
  // The packet whose arrival event is in the queue (one at a time), and what the source has given so far.
  let pendingPacket: SimPacket | undefined;
  let pendingPort = 0;
  let offered = 0;
  const noteOffered = (p: SimPacket, port: number, t: number): void => {
    offered++;
    clk.ingressWireCycles += wireCycles(p.data.length);
    clk.firstOffered = Math.min(clk.firstOffered, t);
    clk.lastOffered = Math.max(clk.lastOffered, t);
    pendingPacket = p;
    pendingPort = port;
  };
  let pushNextInOrder: () => void;
  if (Array.isArray(packets)) {
    const list = packets as readonly SimPacket[];
    const arrivalTimes = new Float64Array(list.length);
    const arrivalPorts = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      const port = (p.port ?? i % portCount) % portCount;
      const earliest = portFree[port] + wireCycles(p.data.length);
      const t = p.arrivalNs === undefined ? earliest : Math.max(p.arrivalNs * cpn, earliest);
      portFree[port] = t;
      arrivalTimes[i] = t;
      arrivalPorts[i] = port;
    }
    // Arrivals are sorted per port, not necessarily across ports.
    let inOrder = true;
    for (let i = 1; i < list.length && inOrder; i++) inOrder = arrivalTimes[i] >= arrivalTimes[i - 1];
    const order = inOrder ? undefined : Array.from({ length: list.length }, (_, i) => i).sort((a, b) => arrivalTimes[a] - arrivalTimes[b] || a - b);
    let orderAt = 0;
    pushNextInOrder = (): void => {
      if (orderAt >= list.length) return;
      const i = order ? order[orderAt] : orderAt;
      orderAt++;
      noteOffered(list[i], arrivalPorts[i], arrivalTimes[i]);
      queue.push(arrivalTimes[i], EV_ARRIVAL, i, 0);
    };
  } else {
    const source = packets[Symbol.iterator]();
    let index = 0;
    let previous = 0;
    pushNextInOrder = (): void => {
      const next = source.next();
      if (next.done) return;
      const p = next.value;
      const i = index++;
      const port = (p.port ?? i % portCount) % portCount;
      const earliest = Math.max(portFree[port] + wireCycles(p.data.length), previous);
      const t = p.arrivalNs === undefined ? earliest : Math.max(p.arrivalNs * cpn, earliest);
      portFree[port] = t;
      previous = t;
      noteOffered(p, port, t);
      queue.push(t, EV_ARRIVAL, i, 0);
    };
  }

  // Packet `slot` leaves the card now (on the wire, in the host, freed or lost).
  const finish = (slot: number): void => {
    const endCycles = clk.now;
    clk.lastEnd = Math.max(clk.lastEnd, endCycles);
    const fate = pk.fate[slot];
    fateCounts[fate]++;
    if (fate === FATE_HOST) hostBacklog--;
    if (fate === FATE_LOST) {
      const reason = pk.lostReason[slot]!;
      lost[reason] = (lost[reason] ?? 0) + 1;
    } else {
      processed++;
      latencies.add(toNs(endCycles - pk.arrival[slot]));
    }
    if (recording) {
      const start = pk.start[slot];
      const record: PacketRecord = {
        id: pk.id[slot],
        port: pk.port[slot],
        bytes: pk.bytes[slot],
        arrivalNs: toNs(pk.arrival[slot]),
        startNs: Number.isNaN(start) ? NaN : toNs(start),
        endNs: toNs(endCycles),
        fate: FATE_NAMES[fate],
        action: pk.action[slot],
        lostReason: pk.lostReason[slot],
        stages: pk.stages[slot],
        result: pk.result[slot],
        hostReport: pk.hostReport[slot],
      };
      if (keep) records.push(record);
      onPacket?.(record);
    }
    pk.release(slot);
  };

  const lose = (slot: number, reason: string): void => {
    pk.fate[slot] = FATE_LOST;
    pk.lostReason[slot] = reason;
    finish(slot);
  };

  const loseAtIngress = (i: number, p: SimPacket, port: number, t: number): void => {
    clk.lastEnd = Math.max(clk.lastEnd, t);
    fateCounts[FATE_LOST]++;
    lost["ingress-full"] = (lost["ingress-full"] ?? 0) + 1;
    if (!recording) return;
    const record: PacketRecord = { id: i, port, bytes: p.data.length, arrivalNs: toNs(t), startNs: NaN, endNs: toNs(t), fate: "lost", action: -1, lostReason: "ingress-full", stages: [] };
    if (keep) records.push(record);
    onPacket?.(record);
  };

  // --- threads and cores ---
  // `last`: the caller's event does nothing after this (see kick).
  const assign = (tid: number, slot: number, last: boolean): void => {
    tSlot[tid] = slot;
    tBusySince[tid] = clk.now;
    tFetch[tid] = 1;
    const core = (tid / T) | 0;
    tState[tid] = T_READY;
    tReadySince[tid] = clk.now;
    coreReady[core] |= 1 << (tid - core * T);
    pk.stageStart[slot] = clk.now;
    if (Number.isNaN(pk.start[slot])) pk.start[slot] = clk.now;
    if (pk.island[slot] < 0) pk.island[slot] = coreIsland[core];
    corePackets[core]++;
    kick(core, last);
  };

  // A packet becomes visible in ring `stage`: a waiting idle thread takes it, or it queues. Called
  // only as the last action of an event.
  const ringArrive = (slot: number, stage: number): void => {
    const ring = rings[stage];
    if (ring.idleHead < ring.idle.length) {
      const tid = ring.idle[ring.idleHead++];
      if (ring.idleHead > 1024 && ring.idleHead * 2 > ring.idle.length) {
        ring.idle.splice(0, ring.idleHead);
        ring.idleHead = 0;
      }
      leaveRing(ring);
      assign(tid, slot, true);
    } else ring.queue.push(slot);
  };

  // A packet left the ring: its slot is free, so a blocked producer may put.
  const leaveRing = (ring: Ring): void => {
    ring.occupancy--;
    const b = ring.blocked.shift();
    if (b) {
      ring.occupancy++;
      units.serve(ring.unit, b.bytes, MemKind.WRITE, coreIsland[(b.tid / T) | 0], false);
      queue.push(units.doneAt, EV_RING_ARRIVE, b.slot, ring.stage);
      threadIdle(b.tid);
    }
  };

  // Thread `tid` has no packet: it takes the next one from its stage's ring, or waits idle.
  const threadIdle = (tid: number): void => {
    const core = (tid / T) | 0;
    const stage = coreStage[core];
    const ring = rings[stage];
    if (tSlot[tid] >= 0) stageThreadBusy[stage] += clk.now - tBusySince[tid] - tReadyWait[tid];
    tReadyWait[tid] = 0;
    tSlot[tid] = -1;
    tState[tid] = T_IDLE;
    if (ring.head < ring.queue.length) {
      const slot = ring.queue[ring.head++];
      if (ring.head > 1024 && ring.head * 2 > ring.queue.length) {
        ring.queue.splice(0, ring.head);
        ring.head = 0;
      }
      leaveRing(ring);
      assign(tid, slot, false);
    } else ring.idle.push(tid);
  };

  // Set by the event loop while handling an event after which nothing else happens at this instant.
  let inlineOk = false;

  // A core whose next thread runs as soon as the current event is handled (see kick), and from when.
  let deferredCore = -1;

  // Gives the core to its next ready thread (round robin) if it is free. `last`: the caller's event
  // does nothing after this, so when no other event comes before the thread's start, the thread
  // runs right after this event instead of through the queue (the queue would pop it next anyway).
  function kick(core: number, last: boolean): void {
    if (coreRunning[core] >= 0) return;
    const ready = coreReady[core];
    if (ready === 0) return;
    const base = core * T;
    const after = coreLast[core];
    // The first ready context after the last one that ran, wrapping around.
    const later = ready & (-2 << after);
    const chosen = later !== 0 ? later : ready;
    const pick = 31 - Math.clz32(chosen & -chosen);
    const start = Math.max(clk.now, coreFreeAt[core]) + (pick !== after ? swapCycles : 0);
    coreBusy[core] += pick !== after ? swapCycles : 0;
    coreRunning[core] = pick;
    coreLast[core] = pick;
    tState[base + pick] = T_RUNNING;
    // Ready until its first instruction issues (the context swap is the core's work, counted there).
    tReadyWait[base + pick] += start - tReadySince[base + pick];
    coreReady[core] = ready & ~(1 << pick);
    // From the end of an event (nothing left to do at this instant) the thread may run at once.
    if (inlineOk && sync(start)) {
      inlineOk = false;
      runCore(core);
      return;
    }
    if (last) {
      queue.peek();
      if (queue.earliest > start) {
        deferredCore = core;
        clk.deferredAt = start;
        return;
      }
    }
    queue.push(start, EV_CONTINUE, core, 0);
  }

  // Moves the clock to t for an action on shared state (a unit queue, a ring) if no earlier event is pending.
  const sync = (t: number): boolean => {
    if (t <= clk.now) return true;
    queue.peek();
    if (queue.earliest < t) return false;
    clk.now = t;
    return true;
  };

  // Runs the core's current thread from now until it waits, ends its stage, or must let earlier events happen first.
  // Times are passed as the clock's field rather than as arguments: a fractional number passed to or
  // returned from a call V8 does not inline is boxed on the heap.
  const runCore = (core: number): void => {
    let t = clk.now;
    const ctx = coreRunning[core];
    const tid = core * T + ctx;
    const slot = tSlot[tid];
    const island = coreIsland[core];
    if (tFetch[tid]) {
      // The ring get that hands the thread its packet and carried state.
      tFetch[tid] = 0;
      const ring = rings[coreStage[core]];
      units.serve(ring.unit, pk.entryBytes[slot], MemKind.READ, island, false);
      t += issueCycles;
      coreBusy[core] += issueCycles;
      tState[tid] = T_WAITING;
      queue.push(units.doneAt, EV_READY, tid, 0);
      coreRunning[core] = -1;
      coreFreeAt[core] = t;
      kick(core, true);
      return;
    }
    const buf = pk.traceBuf[slot];
    let pos = pk.pos[slot];
    const sigBase = tid * SIG_SLOTS;
    for (;;) {
      switch (buf[pos]) {
        case T_STAGE:
          // Stage 0 starts with the firmware's receive work; a later stage's handover costs only the ring
          // put (a memory command at the end of the previous stage) and the ring get (see fetch above).
          if (buf[pos + 1] === 0) {
            t += firmwareCycles;
            coreBusy[core] += firmwareCycles;
          }
          pos += 2;
          break;
        case T_RUN:
          t += buf[pos + 1];
          coreBusy[core] += buf[pos + 1];
          pos += 2;
          break;
        case T_MEM: {
          // sync(t), written out: a call would box t.
          if (t > clk.now) {
            queue.peek();
            if (queue.earliest < t) {
              pk.pos[slot] = pos;
              queue.push(t, EV_CONTINUE, core, 0);
              return;
            }
            clk.now = t;
          }
          const target = buf[pos + 1];
          const unit = target >= 0 ? target : target === TARGET_PACKET_HEAD ? ctmOfIsland[pk.island[slot]] : target === TARGET_THREAD_SCRATCH ? scratchOfIsland[island] : packetTailUnit;
          units.serve(unit, buf[pos + 2], buf[pos + 3], island, target === TARGET_PACKET_TAIL);
          tSigAt[sigBase + buf[pos + 4]] = units.doneAt;
          pos += 5;
          break;
        }
        case T_WAIT: {
          let mask = buf[pos + 1];
          pos += 2;
          let readyAt = 0;
          while (mask) {
            const bit = 31 - Math.clz32(mask & -mask);
            mask &= mask - 1;
            readyAt = Math.max(readyAt, tSigAt[sigBase + bit]);
          }
          if (readyAt <= t) break;
          pk.pos[slot] = pos;
          tState[tid] = T_WAITING;
          queue.push(readyAt, EV_READY, tid, 0);
          coreRunning[core] = -1;
          coreFreeAt[core] = t;
          kick(core, true);
          return;
        }
        case T_END: {
          if (t > clk.now) {
            queue.peek();
            if (queue.earliest < t) {
              pk.pos[slot] = pos;
              queue.push(t, EV_CONTINUE, core, 0);
              return;
            }
            clk.now = t;
          }
          const kind = buf[pos + 1];
          const arg = buf[pos + 2];
          const bytes = buf[pos + 3];
          pk.pos[slot] = pos + 4;
          if (recording) pk.stages[slot].push({ stage: coreStage[core], core, thread: ctx, startNs: toNs(pk.stageStart[slot]), endNs: toNs(t) });
          endStage(tid, slot, kind, arg, bytes, island);
          coreRunning[core] = -1;
          coreFreeAt[core] = t;
          kick(core, true);
          return;
        }
        default:
          throw new Error(`corrupt work trace record ${buf[pos]} at ${pos}`);
      }
    }
  };

  // The running thread `tid` ended its stage now (the core is released after this).
  const endStage = (tid: number, slot: number, kind: number, arg: number, bytes: number, island: number): void => {
    const t = clk.now;
    if (kind === EndKind.HANDOVER) {
      const ring = rings[arg];
      // The next stage's ring get reads the whole entry: descriptor, carried registers and local memory.
      pk.entryBytes[slot] = bytes;
      if (ring.occupancy < ring.capacity) {
        ring.occupancy++;
        units.serve(ring.unit, bytes, MemKind.WRITE, island, false);
        queue.push(units.doneAt, EV_RING_ARRIVE, slot, arg);
      } else if (dropWhenFull) {
        lose(slot, `ring-full:stage${arg}`);
      } else {
        tState[tid] = T_BLOCKED;
        ring.blocked.push({ tid, slot, bytes });
        return;
      }
      threadIdle(tid);
      return;
    }
    threadIdle(tid);
    if (kind === EndKind.FAULT) {
      lose(slot, "fault");
      return;
    }
    programDone++;
    clk.lastProgramEnd = Math.max(clk.lastProgramEnd, t);
    if (kind === EndKind.HOST) {
      toHost(slot, bytes, pk.hostCostNs[slot]);
      return;
    }
    // A verdict.
    if (arg === Verdict.TX || arg === Verdict.REDIRECT) {
      const port = pk.port[slot];
      const q = txQueue[port];
      while (q.length && q[0] <= t) q.shift();
      if (q.length >= egressQueuePackets) {
        lose(slot, "egress-full");
        return;
      }
      const start = Math.max(t, txFree[port]);
      const wire = wireCycles(pk.dataBytes[slot]);
      txFree[port] = start + wire;
      q.push(start + wire);
      clk.txBusy += wire;
      pk.fate[slot] = FATE_WIRE;
      queue.push(start + wire, EV_DONE, slot, 0);
    } else if (arg === Verdict.PASS) {
      toHost(slot, bytes, passCostNs);
    } else {
      pk.fate[slot] = FATE_DROPPED;
      finish(slot);
    }
  };

  // DMA over PCIe from now, then a host core for costNs.
  const toHost = (slot: number, bytes: number, costNs: number): void => {
    if (hostBacklog >= hostRxRingPackets) {
      lose(slot, "host-ring-full");
      return;
    }
    hostBacklog++;
    units.serve(pcieUnit, bytes + pcieOverheadBytes, MemKind.WRITE, -1, false);
    const dmaDone = units.doneAt;
    let h = 0;
    for (let k = 1; k < hostFree.length; k++) if (hostFree[k] < hostFree[h]) h = k;
    const start = Math.max(dmaDone, hostFree[h]);
    const cost = costNs * cpn;
    hostFree[h] = start + cost;
    clk.hostBusy += cost;
    pk.fate[slot] = FATE_HOST;
    queue.push(start + cost, EV_DONE, slot, 0);
  };

  // --- ingress ---
  const admit = (i: number, p: SimPacket, port: number): void => {
    const ring0 = rings[0];
    const t = clk.now;
    clk.firstArrival = Math.min(clk.firstArrival, t);
    if (ring0.occupancy >= ring0.capacity) {
      loseAtIngress(i, p, port, t);
      return;
    }
    ring0.occupancy++;
    const slot = pk.alloc();
    const end = executor.execute(p, pk.trace[slot]);
    pk.traceBuf[slot] = pk.trace[slot].buf;
    let action = end === EndKind.VERDICT ? executor.lastAction : -1;
    let hostCostNs = 0;
    let dataBytes = executor.lastDataBytes;
    if (recording || end === EndKind.HOST) {
      const result = executor.lastResult();
      let data = result;
      if (result.outcome.kind === "host") {
        const o = result.outcome;
        if (hostStage) {
          const h = hostStage.run({
            packet: result.data,
            registers: o.registers,
            liveMask: o.liveMask,
            localMemory: o.localMemory,
            localMemoryOffset: o.localMemoryOffset,
            scratch: o.scratch,
            scratchOffset: o.scratchOffset,
            valueOfHandle: (h) => executor.valueOfHandle(h),
            nextRandomU32: () => executor.nextRandom() >>> 0,
            ingressIfindex: p.ingressIfindex ?? 0,
            rxQueueIndex: p.rxQueueIndex ?? 0,
          });
          action = h.action;
          pk.hostReport[slot] = h.report;
          hostCostNs = h.costNs;
          if (h.data) {
            data = { ...result, data: h.data };
            dataBytes = h.data.length;
          }
        } else hostCostNs = passCostNs;
      }
      pk.result[slot] = data;
    }
    pk.id[slot] = i;
    pk.port[slot] = port;
    pk.bytes[slot] = p.data.length;
    pk.arrival[slot] = t;
    pk.start[slot] = NaN;
    pk.island[slot] = -1;
    pk.pos[slot] = 0;
    pk.stageStart[slot] = 0;
    pk.hostCostNs[slot] = hostCostNs;
    pk.action[slot] = action;
    pk.fate[slot] = FATE_DROPPED;
    pk.entryBytes[slot] = descriptorBytes;
    pk.dataBytes[slot] = dataBytes;
    if (recording) pk.stages[slot] = [];
    const start = Math.max(t, clk.peFree);
    clk.peFree = start + distributionCycles;
    clk.peBusy += distributionCycles;
    // The packet engine is a FIFO: only its head has an event in the queue.
    peQueue.push(slot, clk.peFree);
    if (peQueue.length === 1) queue.push(clk.peFree, EV_PE_DONE, 0, 0);
    // The ring-0 slot taken at admission is the ingress buffer; ringArrive releases it when a thread takes the packet.
  };

  pushNextInOrder();
  while (queue.pop()) {
    clk.now = queue.popTime;
    const a = queue.popA;
    const b = queue.popB;
    switch (queue.popKind) {
      case EV_ARRIVAL: {
        const p = pendingPacket!;
        const port = pendingPort;
        pushNextInOrder();
        admit(a, p, port);
        break;
      }
      case EV_CONTINUE:
        runCore(a);
        break;
      case EV_READY: {
        tState[a] = T_READY;
        tReadySince[a] = clk.now;
        const core = (a / T) | 0;
        coreReady[core] |= 1 << (a - core * T);
        inlineOk = true;
        kick(core, false);
        inlineOk = false;
        break;
      }
      case EV_RING_ARRIVE:
        ringArrive(a, b);
        break;
      case EV_DONE:
        finish(a);
        break;
      case EV_PE_DONE: {
        const slot = peQueue.firstSlot();
        peQueue.shift();
        if (peQueue.length > 0) queue.push(peQueue.firstTime(), EV_PE_DONE, 0, 0);
        ringArrive(slot, 0);
        break;
      }
    }
    while (deferredCore >= 0) {
      const core = deferredCore;
      deferredCore = -1;
      clk.now = clk.deferredAt;
      runCore(core);
    }
  }

  // Packets still held when nothing is left to happen are stuck (rings feeding each other, all
  // full, under the wait policy): they are lost, so every packet is accounted for.
  for (let slot = 0; slot < pk.used; slot++) {
    if (pk.live[slot] === 0) continue;
    lose(slot, "stalled");
  }
  const fates: Record<Fate, number> = { wire: fateCounts[FATE_WIRE], host: fateCounts[FATE_HOST], dropped: fateCounts[FATE_DROPPED], lost: fateCounts[FATE_LOST] };
  // Records in input order.
  records.sort((x, y) => x.id - y.id);
  const durationCycles = Math.max(1, clk.lastEnd - (Number.isFinite(clk.firstArrival) ? clk.firstArrival : 0));
  const util = (busy: number): number => busy / durationCycles;
  const unitUsage: UnitUsage[] = topo.units.map((u) => ({
    name: u.name,
    kind: u.kind,
    busyCycles: units.busyCycles[u.index],
    utilization: util(Math.max(units.busyCycles[u.index] - units.atomicBusyCycles[u.index], units.atomicBusyCycles[u.index])),
    commands: units.commands[u.index],
    meanQueueCycles: units.commands[u.index] ? units.queueCycles[u.index] / units.commands[u.index] : 0,
  }));
  const cores: CoreUsage[] = [];
  for (let c = 0; c < topo.cores; c++) {
    if (coreStage[c] < 0) continue;
    cores.push({ core: c, island: coreIsland[c], stage: coreStage[c], busyCycles: coreBusy[c], utilization: util(coreBusy[c]), packets: corePackets[c] });
  }
  const durationNs = toNs(durationCycles);
  const ingressUtilization = util(clk.peBusy);
  const lineUtilization = util(clk.ingressWireCycles) / portCount;
  const egressUtilization = util(clk.txBusy) / portCount;
  const hostUtilization = util(clk.hostBusy) / preset.host.cores;
  const candidates: { name: string; utilization: number }[] = [
    ...unitUsage.filter((u) => u.commands > 0).map((u) => ({ name: u.name, utilization: u.utilization })),
    ...stages.map((s, i) => ({ name: `stage${i} cores`, utilization: s.cores.reduce((sum, c) => sum + util(coreBusy[c]), 0) / s.cores.length })),
    // All threads of a stage holding packets (running or waiting for memory or a ring, not waiting ready for
    // their busy core): the stage is latency-bound (more threads or cores would help).
    ...stages.map((s, i) => ({ name: `stage${i} threads`, utilization: util(stageThreadBusy[i]) / (s.cores.length * T) })),
    // The ports deliver frames back to back: the line rate, not the card, limits throughput.
    { name: "line rate", utilization: lineUtilization },
    { name: "ingress", utilization: ingressUtilization },
    { name: "egress ports", utilization: egressUtilization },
    { name: "host cores", utilization: hostUtilization },
  ];
  const bottleneck = candidates.reduce((best, c) => (c.utilization > best.utilization ? c : best), { name: "none", utilization: 0 });
  const offeredWindowNs = offered > 1 ? toNs(clk.lastOffered - clk.firstOffered) : 0;
  return {
    preset: preset.name,
    packets: offered,
    records,
    processed,
    lost,
    fates,
    durationNs,
    throughputPps: processed / (durationNs * 1e-9),
    programPps: programDone / (toNs(Math.max(1, clk.lastProgramEnd - (Number.isFinite(clk.firstArrival) ? clk.firstArrival : 0))) * 1e-9),
    offeredPps: offered > 1 && offeredWindowNs > 0 ? (offered - 1) / (offeredWindowNs * 1e-9) : 0,
    latencyNs: latencies.summary(),
    units: unitUsage,
    cores,
    threadOccupancy: stages.map((s, i) => util(stageThreadBusy[i]) / (s.cores.length * T)),
    lineUtilization,
    ingressUtilization,
    egressUtilization,
    hostUtilization,
    bottleneck,
  };
}
