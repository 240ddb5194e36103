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

// Completion times kept per thread: the 16 program signals and the ring fetch.
const SIG_SLOTS = FETCH_SIGNAL + 1;

// `packets` may be an array (arrival times worked out in advance, any order of timestamps) or any
// iterable, read lazily one packet ahead: then packets are admitted in the order given (a packet's
// arrival is never earlier than the one before it), so a long trace needs no memory per packet
// beyond those in flight (use onPacket and keepRecords: false).
export function simulate(preset: Preset, image: NicImage | LoadedImage, packets: Iterable<SimPacket>, options: SimOptions = {}): SimResult {
  const loaded = "exec" in image ? image : loadImage(preset, image);
  return new TimingRun(preset, loaded, packets, options).run();
}

// One run of the timing model: its state in the fields of one object, its steps as methods. (Not
// closures inside simulate(): V8 specialises optimised code to the closures it saw, so every new run
// would throw that code away and run slowly until it is rebuilt; methods of one class keep it.)
// Times are kept in fields rather than passed as arguments where they are fractional: a fractional
// number passed to or returned from a call V8 does not inline is boxed on the heap, a field is not.
class TimingRun {
  // The clock (read by the memory units as `now`) and the run's running sums, in cycles.
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

  private readonly preset: Preset;
  private readonly loaded: LoadedImage;
  private readonly dropWhenFull: boolean;
  private readonly keep: boolean;
  private readonly recording: boolean;
  private readonly onPacket: ((record: PacketRecord) => void) | undefined;
  private readonly hostStage: HostStage | undefined;
  private readonly executor: Executor;
  private readonly cpn: number;
  private readonly T: number;
  private readonly swapCycles: number;
  private readonly issueCycles: number;
  private readonly rateGbps: number;
  private readonly portCount: number;
  // Wire time of a frame by its length, worked out once per length.
  private readonly wireCyclesOf: number[] = [];
  private readonly egressQueuePackets: number;
  private readonly descriptorBytes: number;
  private readonly distributionCycles: number;
  // The firmware's own work per packet, issued by the thread that runs stage 0 once it has the packet.
  private readonly firmwareCycles: number;
  private readonly hostRxRingPackets: number;
  private readonly pcieOverheadBytes: number;
  private readonly passCostNs: number;

  private readonly units: MemoryUnits;
  private readonly packetTailUnit: number;
  private readonly pcieUnit: number;
  private readonly ctmOfIsland: Int32Array;
  // A thread's scratch window lives in its own island's unit (memory.threadScratch.unit).
  private readonly scratchOfIsland: Int32Array;

  // Cores and threads.
  private readonly stages: LoadedImage["image"]["stages"];
  private readonly coreStage: Int32Array;
  private readonly coreIsland: Int32Array;
  private readonly coreRunning: Int32Array;
  private readonly coreLast: Int32Array;
  // Contexts of each core in the ready state, one bit each.
  private readonly coreReady: Int32Array;
  private readonly coreFreeAt: Float64Array;
  private readonly coreBusy: Float64Array;
  private readonly corePackets: Float64Array;
  private readonly tState: Int8Array;
  private readonly tSlot: Int32Array;
  // Completion time of each thread's signals (16 program signals + the ring fetch).
  private readonly tSigAt: Float64Array;
  private readonly tFetch: Int8Array;
  private readonly tBusySince: Float64Array;
  // When each ready thread became ready, and how long it has waited ready for its core while holding its
  // packet: that wait is the core's congestion, not the thread's, so it is left out of the thread occupancy.
  private readonly tReadySince: Float64Array;
  private readonly tReadyWait: Float64Array;
  private readonly stageThreadBusy: Float64Array;
  private readonly rings: Ring[];

  private readonly pk = new InFlight();
  private readonly records: PacketRecord[] = [];
  private readonly lost: Record<string, number> = {};
  // Packets per fate (FATE_* order).
  private readonly fateCounts = new Float64Array(FATE_NAMES.length);
  private readonly latencies = new LatencyHistogram();
  private readonly queue = new EventQueue();
  private processed = 0;
  // Packets whose NIC program ran to its end (whatever happened to them afterwards).
  private programDone = 0;

  private readonly portFree: Float64Array;
  private readonly txFree: Float64Array;
  // Frames queued or being sent per port (their departure times, oldest first).
  private readonly txQueue: number[][];
  // Admitted packets in the packet engine, with when each is through it.
  private readonly peQueue = new TimedFifo();
  private readonly hostFree: Float64Array;
  // Packets DMA'd to the host and not yet served by a host core.
  private hostBacklog = 0;

  // --- the packet source ---
  // The packet whose arrival event is in the queue (one at a time), and what the source has given so far.
  private pendingPacket: SimPacket | undefined;
  private pendingPort = 0;
  private offered = 0;
  // An array source: its packets, arrival times and ports worked out in advance, the order to admit them.
  private readonly list: readonly SimPacket[] | undefined;
  private readonly arrivalTimes: Float64Array;
  private readonly arrivalPorts: Int32Array;
  private readonly order: number[] | undefined;
  private orderAt = 0;
  // Any other source, read one packet ahead.
  private readonly source: Iterator<SimPacket> | undefined;
  private sourceIndex = 0;
  private previousArrival = 0;

  // Set by the event loop while handling an event after which nothing else happens at this instant.
  private inlineOk = false;
  // A core whose next thread runs as soon as the current event is handled (see kick), and from when (deferredAt).
  private deferredCore = -1;

  constructor(preset: Preset, loaded: LoadedImage, packets: Iterable<SimPacket>, options: SimOptions) {
    this.preset = preset;
    this.loaded = loaded;
    const topo = loaded.topology;
    const seed = options.seed ?? 1;
    this.dropWhenFull = (options.ringPolicy ?? "wait") === "drop";
    this.keep = options.keepRecords ?? true;
    this.recording = this.keep || options.onPacket !== undefined;
    this.onPacket = options.onPacket;
    this.hostStage = options.host;
    this.executor = new Executor(loaded.exec, execParamsOf(preset), seed);
    this.cpn = cyclesPerNs(preset);
    const T = (this.T = topo.threadsPerCore);
    this.swapCycles = preset.core.contextSwapCycles;
    this.issueCycles = preset.core.issueCyclesPerInstruction;
    this.rateGbps = options.rateGbps ?? preset.ports.rateGbps;
    const portCount = (this.portCount = options.ports ?? preset.ports.count);
    this.egressQueuePackets = preset.ports.egressQueuePackets;
    this.descriptorBytes = preset.rings.descriptorBytes;
    this.distributionCycles = preset.packet.distributionCyclesPerPacket;
    this.firmwareCycles = firmwareCyclesPerPacket(preset);
    this.hostRxRingPackets = preset.host.rxRingPackets;
    this.pcieOverheadBytes = preset.pcie.perPacketOverheadBytes;
    this.passCostNs = preset.host.passCostNs;
    // Hold fractional numbers from the start: V8 changes an object's layout on its first fractional
    // write to a field that held an integer, which throws away code compiled for the old layout.
    this.now = this.lastEnd = this.lastProgramEnd = this.ingressWireCycles = this.txBusy = this.peFree = this.peBusy = this.hostBusy = this.deferredAt = this.previousArrival = 0.5;
    this.now = this.lastEnd = this.lastProgramEnd = this.ingressWireCycles = this.txBusy = this.peFree = this.peBusy = this.hostBusy = this.deferredAt = this.previousArrival = 0;

    // Memory units and their cache hit ratios (EMEM: cache size over the footprint of the maps placed there).
    const units = (this.units = new MemoryUnits(topo.units, seed, preset.memory.remoteIslandExtraCycles, this));
    const footprint = new Map<number, number>();
    for (const m of loaded.maps) footprint.set(m.target, (footprint.get(m.target) ?? 0) + m.footprintBytes());
    for (const u of topo.units) {
      const f = footprint.get(u.index) ?? 0;
      units.hitRatio[u.index] = u.cacheBytes > 0 && f > 0 ? Math.min(1, u.cacheBytes / f) : 1;
    }
    this.packetTailUnit = topo.unitFor("emem", -1);
    this.pcieUnit = topo.pcieUnit;
    const ringKind = preset.rings.unit[0];
    this.ctmOfIsland = Int32Array.from({ length: preset.topology.islands }, (_, island) => topo.unitFor("ctm", island));
    this.scratchOfIsland = Int32Array.from({ length: preset.topology.islands }, (_, island) => topo.unitFor(preset.memory.threadScratch.unit[0], island));

    const stages = (this.stages = loaded.image.stages);
    const coreStage = (this.coreStage = new Int32Array(topo.cores).fill(-1));
    stages.forEach((s, i) => s.cores.forEach((c) => (coreStage[c] = i)));
    this.coreIsland = Int32Array.from({ length: topo.cores }, (_, c) => topo.islandOfCore(c));
    this.coreRunning = new Int32Array(topo.cores).fill(-1);
    this.coreLast = new Int32Array(topo.cores).fill(T - 1);
    this.coreReady = new Int32Array(topo.cores);
    this.coreFreeAt = new Float64Array(topo.cores);
    this.coreBusy = new Float64Array(topo.cores);
    this.corePackets = new Float64Array(topo.cores);
    const nThreads = topo.cores * T;
    this.tState = new Int8Array(nThreads);
    this.tSlot = new Int32Array(nThreads).fill(-1);
    this.tSigAt = new Float64Array(nThreads * SIG_SLOTS);
    this.tFetch = new Int8Array(nThreads);
    this.tBusySince = new Float64Array(nThreads);
    this.tReadySince = new Float64Array(nThreads);
    this.tReadyWait = new Float64Array(nThreads);
    this.stageThreadBusy = new Float64Array(stages.length);
    this.rings = stages.map((s, i) => {
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

    this.portFree = new Float64Array(portCount);
    this.txFree = new Float64Array(portCount);
    this.txQueue = Array.from({ length: portCount }, () => []);
    this.hostFree = new Float64Array(preset.host.cores);

    if (Array.isArray(packets)) {
      const list = (this.list = packets as readonly SimPacket[]);
      this.source = undefined;
      const arrivalTimes = (this.arrivalTimes = new Float64Array(list.length));
      const arrivalPorts = (this.arrivalPorts = new Int32Array(list.length));
      const portFree = this.portFree;
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        const port = (p.port ?? i % portCount) % portCount;
        const earliest = portFree[port] + this.wireCycles(p.data.length);
        const t = p.arrivalNs === undefined ? earliest : Math.max(p.arrivalNs * this.cpn, earliest);
        portFree[port] = t;
        arrivalTimes[i] = t;
        arrivalPorts[i] = port;
      }
      // Arrivals are sorted per port, not necessarily across ports.
      let inOrder = true;
      for (let i = 1; i < list.length && inOrder; i++) inOrder = arrivalTimes[i] >= arrivalTimes[i - 1];
      this.order = inOrder ? undefined : Array.from({ length: list.length }, (_, i) => i).sort((a, b) => arrivalTimes[a] - arrivalTimes[b] || a - b);
    } else {
      this.list = undefined;
      this.arrivalTimes = new Float64Array(0);
      this.arrivalPorts = new Int32Array(0);
      this.order = undefined;
      this.source = packets[Symbol.iterator]();
    }
  }

  private toNs(cycles: number): number {
    return cycles / this.cpn;
  }

  private wireCycles(bytes: number): number {
    const known = this.wireCyclesOf[bytes];
    if (known !== undefined) return known;
    return (this.wireCyclesOf[bytes] = ((wireBytes(this.preset, bytes) * 8) / this.rateGbps) * this.cpn);
  }

  // --- packets ---
  private noteOffered(p: SimPacket, port: number, t: number): void {
    this.offered++;
    this.ingressWireCycles += this.wireCycles(p.data.length);
    this.firstOffered = Math.min(this.firstOffered, t);
    this.lastOffered = Math.max(this.lastOffered, t);
    this.pendingPacket = p;
    this.pendingPort = port;
  }

  // Takes the next packet from the source and queues its arrival.
  private pushNextInOrder(): void {
    const list = this.list;
    if (list !== undefined) {
      if (this.orderAt >= list.length) return;
      const i = this.order ? this.order[this.orderAt] : this.orderAt;
      this.orderAt++;
      this.noteOffered(list[i], this.arrivalPorts[i], this.arrivalTimes[i]);
      this.queue.push(this.arrivalTimes[i], EV_ARRIVAL, i, 0);
      return;
    }
    const next = this.source!.next();
    if (next.done) return;
    const p = next.value;
    const i = this.sourceIndex++;
    const portCount = this.portCount;
    const port = (p.port ?? i % portCount) % portCount;
    const earliest = Math.max(this.portFree[port] + this.wireCycles(p.data.length), this.previousArrival);
    const t = p.arrivalNs === undefined ? earliest : Math.max(p.arrivalNs * this.cpn, earliest);
    this.portFree[port] = t;
    this.previousArrival = t;
    this.noteOffered(p, port, t);
    this.queue.push(t, EV_ARRIVAL, i, 0);
  }

  // Packet `slot` leaves the card now (on the wire, in the host, freed or lost).
  private finish(slot: number): void {
    const pk = this.pk;
    const endCycles = this.now;
    this.lastEnd = Math.max(this.lastEnd, endCycles);
    const fate = pk.fate[slot];
    this.fateCounts[fate]++;
    if (fate === FATE_HOST) this.hostBacklog--;
    if (fate === FATE_LOST) {
      const reason = pk.lostReason[slot]!;
      this.lost[reason] = (this.lost[reason] ?? 0) + 1;
    } else {
      this.processed++;
      this.latencies.add(this.toNs(endCycles - pk.arrival[slot]));
    }
    if (this.recording) {
      const start = pk.start[slot];
      const record: PacketRecord = {
        id: pk.id[slot],
        port: pk.port[slot],
        bytes: pk.bytes[slot],
        arrivalNs: this.toNs(pk.arrival[slot]),
        startNs: Number.isNaN(start) ? NaN : this.toNs(start),
        endNs: this.toNs(endCycles),
        fate: FATE_NAMES[fate],
        action: pk.action[slot],
        lostReason: pk.lostReason[slot],
        stages: pk.stages[slot],
        result: pk.result[slot],
        hostReport: pk.hostReport[slot],
      };
      if (this.keep) this.records.push(record);
      this.onPacket?.(record);
    }
    pk.release(slot);
  }

  private lose(slot: number, reason: string): void {
    this.pk.fate[slot] = FATE_LOST;
    this.pk.lostReason[slot] = reason;
    this.finish(slot);
  }

  private loseAtIngress(i: number, p: SimPacket, port: number): void {
    const t = this.now;
    this.lastEnd = Math.max(this.lastEnd, t);
    this.fateCounts[FATE_LOST]++;
    this.lost["ingress-full"] = (this.lost["ingress-full"] ?? 0) + 1;
    if (!this.recording) return;
    const record: PacketRecord = { id: i, port, bytes: p.data.length, arrivalNs: this.toNs(t), startNs: NaN, endNs: this.toNs(t), fate: "lost", action: -1, lostReason: "ingress-full", stages: [] };
    if (this.keep) this.records.push(record);
    this.onPacket?.(record);
  }

  // --- threads and cores ---
  // `last`: the caller's event does nothing after this (see kick).
  private assign(tid: number, slot: number, last: boolean): void {
    const pk = this.pk;
    const now = this.now;
    this.tSlot[tid] = slot;
    this.tBusySince[tid] = now;
    this.tFetch[tid] = 1;
    const core = (tid / this.T) | 0;
    this.tState[tid] = T_READY;
    this.tReadySince[tid] = now;
    this.coreReady[core] |= 1 << (tid - core * this.T);
    pk.stageStart[slot] = now;
    if (Number.isNaN(pk.start[slot])) pk.start[slot] = now;
    if (pk.island[slot] < 0) pk.island[slot] = this.coreIsland[core];
    this.corePackets[core]++;
    this.kick(core, last);
  }

  // A packet becomes visible in ring `stage`: a waiting idle thread takes it, or it queues. Called
  // only as the last action of an event.
  private ringArrive(slot: number, stage: number): void {
    const ring = this.rings[stage];
    if (ring.idleHead < ring.idle.length) {
      const tid = ring.idle[ring.idleHead++];
      if (ring.idleHead > 1024 && ring.idleHead * 2 > ring.idle.length) {
        ring.idle.splice(0, ring.idleHead);
        ring.idleHead = 0;
      }
      this.leaveRing(ring);
      this.assign(tid, slot, true);
    } else ring.queue.push(slot);
  }

  // A packet left the ring: its slot is free, so a blocked producer may put.
  private leaveRing(ring: Ring): void {
    ring.occupancy--;
    const b = ring.blocked.shift();
    if (b) {
      ring.occupancy++;
      this.units.serve(ring.unit, b.bytes, MemKind.WRITE, this.coreIsland[(b.tid / this.T) | 0], false);
      this.queue.push(this.units.doneAt, EV_RING_ARRIVE, b.slot, ring.stage);
      this.threadIdle(b.tid);
    }
  }

  // Thread `tid` has no packet: it takes the next one from its stage's ring, or waits idle.
  private threadIdle(tid: number): void {
    const core = (tid / this.T) | 0;
    const stage = this.coreStage[core];
    const ring = this.rings[stage];
    if (this.tSlot[tid] >= 0) this.stageThreadBusy[stage] += this.now - this.tBusySince[tid] - this.tReadyWait[tid];
    this.tReadyWait[tid] = 0;
    this.tSlot[tid] = -1;
    this.tState[tid] = T_IDLE;
    if (ring.head < ring.queue.length) {
      const slot = ring.queue[ring.head++];
      if (ring.head > 1024 && ring.head * 2 > ring.queue.length) {
        ring.queue.splice(0, ring.head);
        ring.head = 0;
      }
      this.leaveRing(ring);
      this.assign(tid, slot, false);
    } else ring.idle.push(tid);
  }

  // Gives the core to its next ready thread (round robin) if it is free. `last`: the caller's event
  // does nothing after this, so when no other event comes before the thread's start, the thread
  // runs right after this event instead of through the queue (the queue would pop it next anyway).
  private kick(core: number, last: boolean): void {
    if (this.coreRunning[core] >= 0) return;
    const ready = this.coreReady[core];
    if (ready === 0) return;
    const base = core * this.T;
    const after = this.coreLast[core];
    // The first ready context after the last one that ran, wrapping around.
    const later = ready & (-2 << after);
    const chosen = later !== 0 ? later : ready;
    const pick = 31 - Math.clz32(chosen & -chosen);
    const start = Math.max(this.now, this.coreFreeAt[core]) + (pick !== after ? this.swapCycles : 0);
    this.coreBusy[core] += pick !== after ? this.swapCycles : 0;
    this.coreRunning[core] = pick;
    this.coreLast[core] = pick;
    this.tState[base + pick] = T_RUNNING;
    // Ready until its first instruction issues (the context swap is the core's work, counted there).
    this.tReadyWait[base + pick] += start - this.tReadySince[base + pick];
    this.coreReady[core] = ready & ~(1 << pick);
    // From the end of an event (nothing left to do at this instant) the thread may run at once.
    if (this.inlineOk) {
      // sync(start), written out: a call would box start.
      let synced = start <= this.now;
      if (!synced) {
        this.queue.peek();
        if (!(this.queue.earliest < start)) {
          this.now = start;
          synced = true;
        }
      }
      if (synced) {
        this.inlineOk = false;
        this.runCore(core);
        return;
      }
    }
    if (last) {
      this.queue.peek();
      if (this.queue.earliest > start) {
        this.deferredCore = core;
        this.deferredAt = start;
        return;
      }
    }
    this.queue.push(start, EV_CONTINUE, core, 0);
  }

  // Runs the core's current thread from now until it waits, ends its stage, or must let earlier events happen first.
  private runCore(core: number): void {
    const pk = this.pk;
    const units = this.units;
    const queue = this.queue;
    const coreBusy = this.coreBusy;
    let t = this.now;
    const ctx = this.coreRunning[core];
    const tid = core * this.T + ctx;
    const slot = this.tSlot[tid];
    const island = this.coreIsland[core];
    if (this.tFetch[tid]) {
      // The ring get that hands the thread its packet and carried state.
      this.tFetch[tid] = 0;
      const ring = this.rings[this.coreStage[core]];
      units.serve(ring.unit, pk.entryBytes[slot], MemKind.READ, island, false);
      t += this.issueCycles;
      coreBusy[core] += this.issueCycles;
      this.tState[tid] = T_WAITING;
      queue.push(units.doneAt, EV_READY, tid, 0);
      this.coreRunning[core] = -1;
      this.coreFreeAt[core] = t;
      this.kick(core, true);
      return;
    }
    const buf = pk.traceBuf[slot];
    let pos = pk.pos[slot];
    const sigBase = tid * SIG_SLOTS;
    const tSigAt = this.tSigAt;
    for (;;) {
      switch (buf[pos]) {
        case T_STAGE:
          // Stage 0 starts with the firmware's receive work; a later stage's handover costs only the ring
          // put (a memory command at the end of the previous stage) and the ring get (see fetch above).
          if (buf[pos + 1] === 0) {
            t += this.firmwareCycles;
            coreBusy[core] += this.firmwareCycles;
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
          if (t > this.now) {
            queue.peek();
            if (queue.earliest < t) {
              pk.pos[slot] = pos;
              queue.push(t, EV_CONTINUE, core, 0);
              return;
            }
            this.now = t;
          }
          const target = buf[pos + 1];
          const unit = target >= 0 ? target : target === TARGET_PACKET_HEAD ? this.ctmOfIsland[pk.island[slot]] : target === TARGET_THREAD_SCRATCH ? this.scratchOfIsland[island] : this.packetTailUnit;
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
          this.tState[tid] = T_WAITING;
          queue.push(readyAt, EV_READY, tid, 0);
          this.coreRunning[core] = -1;
          this.coreFreeAt[core] = t;
          this.kick(core, true);
          return;
        }
        case T_END: {
          if (t > this.now) {
            queue.peek();
            if (queue.earliest < t) {
              pk.pos[slot] = pos;
              queue.push(t, EV_CONTINUE, core, 0);
              return;
            }
            this.now = t;
          }
          const kind = buf[pos + 1];
          const arg = buf[pos + 2];
          const bytes = buf[pos + 3];
          pk.pos[slot] = pos + 4;
          if (this.recording) pk.stages[slot].push({ stage: this.coreStage[core], core, thread: ctx, startNs: this.toNs(pk.stageStart[slot]), endNs: this.toNs(t) });
          this.endStage(tid, slot, kind, arg, bytes, island);
          this.coreRunning[core] = -1;
          this.coreFreeAt[core] = t;
          this.kick(core, true);
          return;
        }
        default:
          throw new Error(`corrupt work trace record ${buf[pos]} at ${pos}`);
      }
    }
  }

  // The running thread `tid` ended its stage now (the core is released after this).
  private endStage(tid: number, slot: number, kind: number, arg: number, bytes: number, island: number): void {
    const pk = this.pk;
    const t = this.now;
    if (kind === EndKind.HANDOVER) {
      const ring = this.rings[arg];
      // The next stage's ring get reads the whole entry: descriptor, carried registers and local memory.
      pk.entryBytes[slot] = bytes;
      if (ring.occupancy < ring.capacity) {
        ring.occupancy++;
        this.units.serve(ring.unit, bytes, MemKind.WRITE, island, false);
        this.queue.push(this.units.doneAt, EV_RING_ARRIVE, slot, arg);
      } else if (this.dropWhenFull) {
        this.lose(slot, `ring-full:stage${arg}`);
      } else {
        this.tState[tid] = T_BLOCKED;
        ring.blocked.push({ tid, slot, bytes });
        return;
      }
      this.threadIdle(tid);
      return;
    }
    this.threadIdle(tid);
    if (kind === EndKind.FAULT) {
      this.lose(slot, "fault");
      return;
    }
    this.programDone++;
    this.lastProgramEnd = Math.max(this.lastProgramEnd, t);
    if (kind === EndKind.HOST) {
      this.toHost(slot, bytes, pk.hostCostNs[slot]);
      return;
    }
    // A verdict.
    if (arg === Verdict.TX || arg === Verdict.REDIRECT) {
      const port = pk.port[slot];
      const q = this.txQueue[port];
      while (q.length && q[0] <= t) q.shift();
      if (q.length >= this.egressQueuePackets) {
        this.lose(slot, "egress-full");
        return;
      }
      const start = Math.max(t, this.txFree[port]);
      const wire = this.wireCycles(pk.dataBytes[slot]);
      this.txFree[port] = start + wire;
      q.push(start + wire);
      this.txBusy += wire;
      pk.fate[slot] = FATE_WIRE;
      this.queue.push(start + wire, EV_DONE, slot, 0);
    } else if (arg === Verdict.PASS) {
      this.toHost(slot, bytes, this.passCostNs);
    } else {
      pk.fate[slot] = FATE_DROPPED;
      this.finish(slot);
    }
  }

  // DMA over PCIe from now, then a host core for costNs.
  private toHost(slot: number, bytes: number, costNs: number): void {
    if (this.hostBacklog >= this.hostRxRingPackets) {
      this.lose(slot, "host-ring-full");
      return;
    }
    this.hostBacklog++;
    this.units.serve(this.pcieUnit, bytes + this.pcieOverheadBytes, MemKind.WRITE, -1, false);
    const dmaDone = this.units.doneAt;
    const hostFree = this.hostFree;
    let h = 0;
    for (let k = 1; k < hostFree.length; k++) if (hostFree[k] < hostFree[h]) h = k;
    const start = Math.max(dmaDone, hostFree[h]);
    const cost = costNs * this.cpn;
    hostFree[h] = start + cost;
    this.hostBusy += cost;
    this.pk.fate[slot] = FATE_HOST;
    this.queue.push(start + cost, EV_DONE, slot, 0);
  }

  // --- ingress ---
  private admit(i: number, p: SimPacket, port: number): void {
    const ring0 = this.rings[0];
    const pk = this.pk;
    const executor = this.executor;
    const t = this.now;
    this.firstArrival = Math.min(this.firstArrival, t);
    if (ring0.occupancy >= ring0.capacity) {
      this.loseAtIngress(i, p, port);
      return;
    }
    ring0.occupancy++;
    const slot = pk.alloc();
    const end = executor.execute(p, pk.trace[slot]);
    pk.traceBuf[slot] = pk.trace[slot].buf;
    let action = end === EndKind.VERDICT ? executor.lastAction : -1;
    let hostCostNs = 0;
    let dataBytes = executor.lastDataBytes;
    if (this.recording || end === EndKind.HOST) {
      const result = executor.lastResult();
      let data = result;
      if (result.outcome.kind === "host") {
        const o = result.outcome;
        const hostStage = this.hostStage;
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
        } else hostCostNs = this.passCostNs;
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
    pk.entryBytes[slot] = this.descriptorBytes;
    pk.dataBytes[slot] = dataBytes;
    if (this.recording) pk.stages[slot] = [];
    const start = Math.max(t, this.peFree);
    this.peFree = start + this.distributionCycles;
    this.peBusy += this.distributionCycles;
    // The packet engine is a FIFO: only its head has an event in the queue.
    this.peQueue.push(slot, this.peFree);
    if (this.peQueue.length === 1) this.queue.push(this.peFree, EV_PE_DONE, 0, 0);
    // The ring-0 slot taken at admission is the ingress buffer; ringArrive releases it when a thread takes the packet.
  }

  run(): SimResult {
    const queue = this.queue;
    this.pushNextInOrder();
    while (queue.pop()) {
      this.now = queue.popTime;
      const a = queue.popA;
      const b = queue.popB;
      switch (queue.popKind) {
        case EV_ARRIVAL: {
          const p = this.pendingPacket!;
          const port = this.pendingPort;
          this.pushNextInOrder();
          this.admit(a, p, port);
          break;
        }
        case EV_CONTINUE:
          this.runCore(a);
          break;
        case EV_READY: {
          this.tState[a] = T_READY;
          this.tReadySince[a] = this.now;
          const core = (a / this.T) | 0;
          this.coreReady[core] |= 1 << (a - core * this.T);
          this.inlineOk = true;
          this.kick(core, false);
          this.inlineOk = false;
          break;
        }
        case EV_RING_ARRIVE:
          this.ringArrive(a, b);
          break;
        case EV_DONE:
          this.finish(a);
          break;
        case EV_PE_DONE: {
          const peQueue = this.peQueue;
          const slot = peQueue.firstSlot();
          peQueue.shift();
          if (peQueue.length > 0) queue.push(peQueue.firstTime(), EV_PE_DONE, 0, 0);
          this.ringArrive(slot, 0);
          break;
        }
      }
      while (this.deferredCore >= 0) {
        const core = this.deferredCore;
        this.deferredCore = -1;
        this.now = this.deferredAt;
        this.runCore(core);
      }
    }

    // Packets still held when nothing is left to happen are stuck (rings feeding each other, all
    // full, under the wait policy): they are lost, so every packet is accounted for.
    for (let slot = 0; slot < this.pk.used; slot++) {
      if (this.pk.live[slot] === 0) continue;
      this.lose(slot, "stalled");
    }
    return this.result();
  }

  private result(): SimResult {
    const { preset, units, stages, coreBusy, fateCounts, T } = this;
    const topo = this.loaded.topology;
    const fates: Record<Fate, number> = { wire: fateCounts[FATE_WIRE], host: fateCounts[FATE_HOST], dropped: fateCounts[FATE_DROPPED], lost: fateCounts[FATE_LOST] };
    // Records in input order.
    this.records.sort((x, y) => x.id - y.id);
    const durationCycles = Math.max(1, this.lastEnd - (Number.isFinite(this.firstArrival) ? this.firstArrival : 0));
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
      if (this.coreStage[c] < 0) continue;
      cores.push({ core: c, island: this.coreIsland[c], stage: this.coreStage[c], busyCycles: coreBusy[c], utilization: util(coreBusy[c]), packets: this.corePackets[c] });
    }
    const durationNs = this.toNs(durationCycles);
    const portCount = this.portCount;
    const ingressUtilization = util(this.peBusy);
    const lineUtilization = util(this.ingressWireCycles) / portCount;
    const egressUtilization = util(this.txBusy) / portCount;
    const hostUtilization = util(this.hostBusy) / preset.host.cores;
    const candidates: { name: string; utilization: number }[] = [
      ...unitUsage.filter((u) => u.commands > 0).map((u) => ({ name: u.name, utilization: u.utilization })),
      ...stages.map((s, i) => ({ name: `stage${i} cores`, utilization: s.cores.reduce((sum, c) => sum + util(coreBusy[c]), 0) / s.cores.length })),
      // All threads of a stage holding packets (running or waiting for memory or a ring, not waiting ready for
      // their busy core): the stage is latency-bound (more threads or cores would help).
      ...stages.map((s, i) => ({ name: `stage${i} threads`, utilization: util(this.stageThreadBusy[i]) / (s.cores.length * T) })),
      // The ports deliver frames back to back: the line rate, not the card, limits throughput.
      { name: "line rate", utilization: lineUtilization },
      { name: "ingress", utilization: ingressUtilization },
      { name: "egress ports", utilization: egressUtilization },
      { name: "host cores", utilization: hostUtilization },
    ];
    const bottleneck = candidates.reduce((best, c) => (c.utilization > best.utilization ? c : best), { name: "none", utilization: 0 });
    const offered = this.offered;
    const offeredWindowNs = offered > 1 ? this.toNs(this.lastOffered - this.firstOffered) : 0;
    return {
      preset: preset.name,
      packets: offered,
      records: this.records,
      processed: this.processed,
      lost: this.lost,
      fates,
      durationNs,
      throughputPps: this.processed / (durationNs * 1e-9),
      programPps: this.programDone / (this.toNs(Math.max(1, this.lastProgramEnd - (Number.isFinite(this.firstArrival) ? this.firstArrival : 0))) * 1e-9),
      offeredPps: offered > 1 && offeredWindowNs > 0 ? (offered - 1) / (offeredWindowNs * 1e-9) : 0,
      latencyNs: this.latencies.summary(),
      units: unitUsage,
      cores,
      threadOccupancy: stages.map((s, i) => util(this.stageThreadBusy[i]) / (s.cores.length * T)),
      lineUtilization,
      ingressUtilization,
      egressUtilization,
      hostUtilization,
      bottleneck,
    };
  }
}
