// The kernel side of a case (`equiv --kernel`): the program loaded by the
// real bpf() with fresh maps, the case's initial state written through the
// syscall in the same order as on the host, BPF_PROG_TEST_RUN on the packet,
// and every map read back. Per-CPU maps compare as the sum over CPUs (the
// host models one CPU, the kernel runs the test on whichever CPU it is on).
// Events are read back: a perf buffer on every perf event array (the run
// pinned to CPU 0, the host's CPU) and the pages of every ring buffer map
// (kernel-events.ts says how they compare).
// A program that reads the clock is run on the host at the readings taken
// just before and after the test run, and the kernel must agree with one of
// them except where the two host runs differ; a program that draws random
// numbers (bpf_get_prandom_u32, the SYN-cookie helpers' secret) is not
// compared with the kernel (its stream cannot be seeded).
import { helperImplementations } from "../helpers/index.ts";
import { HelperId, helperName } from "../helpers/prototypes.ts";
import { CALL, PseudoCall, type Program } from "../ebpf/index.ts";
import { instantiateObject, isDumpableMapType, KernelError, type KernelMap, type KernelPerfBuffer, type KernelProgram, type KernelRingbuf, type KernelSession, type MapDump as KernelDump } from "../kernel/index.ts";
import { MapType, mapTypeName, UpdateFlag, type MapDump } from "../maps/index.ts";
import { compareOutcomes, type Difference } from "./compare.ts";
import type { KernelSide } from "./case.ts";
import { EquivInputError } from "./errors.ts";
import { runHostSide, type RunEnvironment } from "./host-side.ts";
import { NONDETERMINISTIC_HELPERS, noCalls, RANDOM_HELPERS, recordingHelpers } from "../oracle/nondeterminism.ts";
import { bootOffsetNs, taiOffsetNs } from "../oracle/host-control.ts";
import type { AppliedState } from "./map-state-arbitrary.ts";
import { kernelComparable, kernelEventTexts } from "./kernel-events.ts";
import { HOST_CPU } from "./perf-readers.ts";
import type { CaseOutcome } from "./outcome.ts";
import type { EquivSubject } from "./subject.ts";
import { mapsRunMayWrite } from "../offload/written-maps.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
// Maps whose values the kernel reports as object ids (a program's, an inner map's), which name nothing on the host.
const FD_VALUED_TYPES: ReadonlySet<number> = new Set([MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

function callsHelper(programs: readonly Program[], ids: ReadonlySet<number>): boolean {
  return programs.some((p) => p.some((i) => i.opcode === CALL && i.src === PseudoCall.HELPER && ids.has(i.imm)));
}

// Whether the case's packet calls a random helper when the host runs it.
function reachesRandomHelper(subject: EquivSubject, packet: Uint8Array, applied: AppliedState, env: RunEnvironment): boolean {
  const calls = noCalls();
  runHostSide(subject, packet, applied.maps, env, undefined, recordingHelpers(helperImplementations, calls));
  return calls.random;
}

interface Loaded {
  readonly maps: readonly KernelMap[];
  readonly program: KernelProgram;
  readonly programsByName: ReadonlyMap<string, KernelProgram>;
  readonly handles: readonly (KernelMap | KernelProgram)[];
}

export class KernelBackedSide implements KernelSide {
  // Cases whose kernel comparison was left out, and why.
  readonly skipped = new Map<string, number>();

  constructor(private readonly k: KernelSession) {}

  check(subject: EquivSubject, packet: Uint8Array, applied: AppliedState, env: RunEnvironment, host: CaseOutcome): { outcome?: CaseOutcome; differences: Difference[] } {
    const programs = [subject.insns, ...subject.tailCalls.values()];
    const random = [...RANDOM_HELPERS].find((id) => callsHelper(programs, new Set([id])));
    // Only a case whose packet reaches a random helper on the host is left out; the others compare as usual.
    if (random !== undefined && reachesRandomHelper(subject, packet, applied, env)) {
      const why = random === HelperId.GET_PRANDOM_U32 ? "its packet reaches bpf_get_prandom_u32, whose stream the kernel does not let us seed" : `its packet reaches ${helperName(random)}, whose cookies hash with a secret the kernel draws at boot`;
      this.skipped.set(why, (this.skipped.get(why) ?? 0) + 1);
      return { differences: [] };
    }
    const loaded = this.load(subject);
    const perf: KernelPerfBuffer[] = [];
    const rings: KernelRingbuf[] = [];
    try {
      for (const map of loaded.maps) {
        if (map.def.type === MapType.PERF_EVENT_ARRAY) perf.push(this.k.openPerfBuffer(map));
        else if (map.def.type === MapType.RINGBUF) rings.push(this.k.openRingbuf(map));
      }
      // The state written and the test run on the host's CPU: an LRU map's free lists are per CPU, so which
      // key an insert evicts depends on the CPU of the update (the model makes both on CPU 0); a perf output
      // to an explicit slot lands where the host's does.
      this.onHostCpu(() => this.write(subject, loaded, applied));
      const testRun = () => this.k.testRunXdp(loaded.program, { packet, ingressIfindex: env.ingressIfindex });
      const beforeNs = process.hrtime.bigint();
      const run = this.onHostCpu(testRun);
      const afterNs = process.hrtime.bigint();
      const ringRecords = new Map(rings.map((r) => [r.map, this.k.ringbufRecords(r)]));
      const streams = { perf: perf.map((b) => ({ map: b.map.def.name, records: this.k.readPerfBuffer(b) })), ringbufs: rings.map((r) => ({ map: r.map.def.name, records: ringRecords.get(r.map) ?? [] })) };
      const fixed = this.unchangeable(subject, programs, loaded);
      const outcome: CaseOutcome = { side: "kernel", action: run.retval >>> 0, packet: run.packet, maps: this.read(loaded, host, ringRecords, fixed), events: kernelEventTexts(streams, host.events) };
      const comparable = (o: CaseOutcome): CaseOutcome => ({ ...o, events: kernelComparable(o.events), maps: o.maps.map(summedPerCpu) });
      // A random helper this packet does not reach changes nothing: what remains to bracket is the clocks.
      if (!callsHelper(programs, NONDETERMINISTIC_HELPERS)) return { outcome, differences: compareOutcomes(comparable(host), comparable(outcome)) };
      // The kernel's boot and TAI clocks are its monotonic clock plus this machine's offsets.
      const clock = { ...env.clock, bootOffsetNs: bootOffsetNs(), taiOffsetNs: taiOffsetNs() };
      const at = (ns: bigint): CaseOutcome => comparable(runHostSide(subject, packet, applied.maps, { ...env, clock: { ...clock, startNs: ns } }).outcome);
      const early = at(beforeNs);
      const late = at(afterNs);
      const vsEarly = compareOutcomes(early, comparable(outcome));
      if (vsEarly.length === 0 || compareOutcomes(late, comparable(outcome)).length === 0) return { outcome, differences: [] };
      const clockDependent = new Set(compareOutcomes(early, late).map((d) => d.where));
      return { outcome, differences: vsEarly.filter((d) => !clockDependent.has(d.where)) };
    } finally {
      for (const b of perf) this.k.closePerfBuffer(b);
      for (const r of rings) this.k.closeRingbuf(r);
      for (const h of loaded.handles) this.k.release(h);
    }
  }

  // `body` on the host's CPU (see check); where the thread may not run there, on any CPU (a
  // BPF_F_CURRENT_CPU output still finds its reader).
  private onHostCpu<T>(body: () => T): T {
    try {
      return this.k.onCpu(HOST_CPU, body);
    } catch (error) {
      if (error instanceof KernelError && error.command === "sched_setaffinity") return body();
      throw error;
    }
  }

  private load(subject: EquivSubject): Loaded {
    if (subject.object !== undefined) {
      const instance = instantiateObject(this.k, subject.object);
      const programsByName = new Map<string, KernelProgram>();
      for (const [name, verdict] of instance.verdicts) if (verdict.accepted) programsByName.set(name, verdict.program);
      const handles = [...instance.maps, ...programsByName.values()];
      const program = programsByName.get(subject.programName ?? "");
      if (program === undefined) {
        for (const h of handles) this.k.release(h);
        const verdict = instance.verdicts.get(subject.programName ?? "");
        throw new EquivInputError(`${subject.label}: the kernel does not load the program${verdict && !verdict.accepted ? ` (${verdict.error.message})` : ""}, so --kernel cannot compare it.`);
      }
      return { maps: instance.maps, program, programsByName, handles };
    }
    const maps = subject.mapDefs.map((def) => this.k.createMap(def));
    const verdict = this.k.tryLoadProgram({ program: subject.insns, mapFds: maps.map((m) => m.fd), name: "equiv", license: subject.license, logLevel: 1 });
    if (!verdict.accepted) {
      for (const m of maps) this.k.release(m);
      throw new EquivInputError(`${subject.label}: the kernel's verifier refuses it (${verdict.error.message}).`);
    }
    return { maps, program: verdict.program, programsByName: new Map(), handles: [...maps, verdict.program] };
  }

  // The host's writes, replayed in order; a per-CPU value goes to CPU 0 (the host's one CPU), zero elsewhere.
  private write(subject: EquivSubject, loaded: Loaded, applied: AppliedState): void {
    for (const w of applied.writes) {
      const map = loaded.maps[w.mapIndex];
      switch (w.kind) {
        case "update":
          if (map.shape.perCpu) {
            // The model's syscall value: one 8-byte-aligned slot per CPU it simulates (the machine's possible CPUs).
            const stride = Math.ceil(map.shape.valueSize / 8) * 8;
            const values = Array.from({ length: map.shape.slots }, (_, cpu) =>
              (cpu + 1) * stride <= w.value.length ? w.value.slice(cpu * stride, cpu * stride + map.shape.valueSize) : new Uint8Array(map.shape.valueSize),
            );
            this.k.updatePerCpu(map, w.key, values, w.flags);
          } else {
            this.k.update(map, w.key, w.value, w.flags === UpdateFlag.ANY ? UpdateFlag.ANY : w.flags);
          }
          break;
        case "delete":
          this.k.delete(map, w.key);
          break;
        case "inner-map":
          // The slot holds the kernel's fd of the same inner map of the object.
          this.k.setInnerMap(map, w.key, loaded.maps[w.innerMapIndex]);
          break;
        case "prog-slot": {
          const target = loaded.programsByName.get(w.program);
          if (target === undefined) throw new EquivInputError(`${subject.label}: prog_array slot ${w.slot} names program '${w.program}', which the kernel did not load.`);
          this.k.setProgArraySlot(map, w.slot, target);
          break;
        }
      }
    }
  }

  // The maps none of the subject's programs can change (src/offload/written-maps.ts), worked out once per subject.
  private readonly fixedMaps = new WeakMap<EquivSubject, ReadonlySet<number>>();

  private unchangeable(subject: EquivSubject, programs: readonly Program[], loaded: Loaded): ReadonlySet<number> {
    const known = this.fixedMaps.get(subject);
    if (known !== undefined) return known;
    const mayChange = mapsRunMayWrite(programs, 0, loaded.maps.map((m) => m.def));
    const fixed = new Set(mayChange === undefined ? [] : loaded.maps.map((_, i) => i).filter((i) => !mayChange.has(i)));
    this.fixedMaps.set(subject, fixed);
    return fixed;
  }

  // Each map as a src/maps dump: ring buffers hold the records read from their pages; maps user space cannot
  // read (or the host cannot compare), and maps the program cannot change (`fixed`: they hold what both sides
  // were given; a 262,148-slot array read back key by key costs seconds a case), are taken from the host's outcome.
  private read(loaded: Loaded, host: CaseOutcome, ringRecords: ReadonlyMap<KernelMap, readonly Uint8Array[]>, fixed: ReadonlySet<number>): MapDump[] {
    return loaded.maps.map((map, i) => {
      const hostDump = host.maps[i];
      if (fixed.has(i)) return hostDump;
      const records = ringRecords.get(map);
      if (records !== undefined && hostDump !== undefined) return { ...hostDump, records: records.map(hex) };
      const comparable = isDumpableMapType(map.def.type) && !FD_VALUED_TYPES.has(map.def.type);
      if (!comparable || hostDump === undefined || hostDump.values !== undefined || hostDump.records !== undefined) return hostDump;
      return kernelDump(map, this.k.dumpMap(map), hostDump);
    });
  }
}

function kernelDump(map: KernelMap, dump: KernelDump, like: MapDump): MapDump {
  const entries = dump.perCpu
    ? dump.entries.map((e) => ({ key: hex(e.key), percpu: [hex(sumU64Words(e.values))] }))
    : dump.entries.map((e) => ({ key: hex(e.key), value: hex(e.value) }));
  return { ...like, type: mapTypeName(map.def.type), entries };
}

// A host dump with per-CPU values summed the same way (one CPU: unchanged, but the shape matches).
function summedPerCpu(dump: MapDump): MapDump {
  if (!dump.entries.some((e) => e.percpu !== undefined)) return dump;
  return { ...dump, entries: dump.entries.map((e) => (e.percpu ? { key: e.key, percpu: [hex(sumU64Words(e.percpu.map((v) => Uint8Array.from(Buffer.from(v, "hex")))))] } : e)) };
}

// Per-CPU values added word by word (little-endian u64; a tail shorter than a word bytewise), as the sum over CPUs.
function sumU64Words(values: readonly Uint8Array[]): Uint8Array {
  const sum = new Uint8Array(values[0]?.length ?? 0);
  const out = new DataView(sum.buffer);
  const words = Math.floor(sum.length / 8);
  for (const value of values) {
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    for (let w = 0; w < words; w++) out.setBigUint64(w * 8, BigInt.asUintN(64, out.getBigUint64(w * 8, true) + v.getBigUint64(w * 8, true)), true);
    for (let i = words * 8; i < sum.length; i++) sum[i] = (sum[i] + value[i]) & 0xff;
  }
  return sum;
}
