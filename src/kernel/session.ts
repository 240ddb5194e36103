// KernelSession: the resource scope every use of the kernel oracle goes
// through. It owns each fd it creates (maps, programs, BTF) and closes all of
// them in close(), which withKernel() calls in a finally, so a failing test
// or command never leaks a kernel object. Handles are plain readonly data; the
// operations are the session's methods.
import type { MapDef } from "../maps/types.ts";
import { UpdateFlag } from "../maps/types.ts";
import { OffloadSimError } from "../errors.ts";
import { kernelAcceptsBtf, loadBtfFd } from "./btf-load.ts";
import { lacksAny, probeBtfSupport, type BtfKernelSupport } from "./btf-features.ts";
import { sanitizeBtf } from "./btf-sanitize.ts";
import { KernelError } from "./kernel-error.ts";
import {
  bloomContains,
  checkLength,
  createMapFd,
  deleteElem,
  freezeMap,
  isDumpableMapType,
  lookupElem,
  nextKey,
  updateElem,
  valueShape,
  type MapBtf,
  type ValueShape,
} from "./map-commands.ts";
import { spinLockMapBtf } from "./spin-lock-btf.ts";
import { loadNative, type Native } from "./native.ts";
import { mapInfo, programInfo, type MapInfo, type ProgramInfo } from "./obj-info.ts";
import { onlineCpus, possibleCpuCount } from "./possible-cpus.ts";
import { closePerfRing, DEFAULT_PERF_PAGES, openPerfRing, readPerfRing, type PerfRecord, type PerfRing } from "./perf-buffer.ts";
import { mapRingbuf, pendingRingbufRecords, unmapRingbuf, type RingbufMapping } from "./ringbuf-reader.ts";
import { MapType } from "../maps/types.ts";
import { staticFuncBtf, type FunctionStart } from "./func-btf.ts";
import { loadProgramFd, type ProgramBtf, type ProgramLoadSpec } from "./prog-load.ts";
import { prepareObjectBtf, type ObjectBtf } from "./object-btf.ts";
import { testRunRaw, testRunXdp, type RawTestRunInput, type RawTestRunResult, type XdpTestRunInput, type XdpTestRunResult } from "./test-run.ts";
import { ProgType } from "./uapi.ts";

export interface KernelMap {
  readonly kind: "map";
  readonly fd: number;
  readonly def: MapDef;
  readonly shape: ValueShape;
}

export interface KernelProgram {
  readonly kind: "program";
  readonly fd: number;
  readonly name: string;
  readonly progType: number;
  // The verifier's log of the successful load (empty at log level 0).
  readonly verifierLog: string;
}

export interface KernelBtf {
  readonly kind: "btf";
  readonly fd: number;
}

export type KernelHandle = KernelMap | KernelProgram | KernelBtf;

// A perf event array with a reader attached: one BPF-output perf event per online CPU (within the
// map's entries), each stored at its CPU's index, with its ring mapped.
export interface KernelPerfBuffer {
  readonly kind: "perf-buffer";
  readonly map: KernelMap;
  readonly rings: readonly PerfRing[];
}

// A ring buffer map's memory, mapped for reading.
export interface KernelRingbuf {
  readonly kind: "ringbuf";
  readonly map: KernelMap;
  readonly mapping: RingbufMapping;
}

export interface MapEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface PerCpuMapEntry {
  readonly key: Uint8Array;
  // One value per possible CPU, each def.valueSize bytes.
  readonly values: readonly Uint8Array[];
}

// A map's whole content in the kernel's iteration order.
export type MapDump =
  | { readonly perCpu: false; readonly entries: readonly MapEntry[] }
  | { readonly perCpu: true; readonly entries: readonly PerCpuMapEntry[] };

export type LoadVerdict =
  | { readonly accepted: true; readonly program: KernelProgram }
  | { readonly accepted: false; readonly error: KernelError };

// createMap writes def.initialValue at key 0 (all-zero key) and freezes the map when def.frozen.
export interface CreateMapOptions {
  // For array/hash-of-maps: an existing inner map to use as the template. Without it, a
  // template is created from def.inner and closed once the outer map exists.
  readonly innerMapFd?: number;
  // The object's BTF (loadObjectBtf): the map, and a template made from def.inner, are created
  // with the type ids found there under their names, as libbpf creates them.
  readonly btf?: LoadedObjectBtf;
  // The name the kernel keeps for the map (map-names.ts); default def.name.
  readonly kernelName?: string;
  // No BTF at all, not even the spin-lock BTF made from def: libbpf creates every map so once the
  // kernel has refused the object's .BTF (a program using a lock is then refused for want of BTF).
  readonly withoutBtf?: boolean;
}

// Why an object's BTF is not loaded; refusedByKernel when BPF_BTF_LOAD refused it, so libbpf,
// which ignores that refusal, creates every map without BTF.
export interface ObjectBtfProblem {
  readonly problem: string;
  readonly refusedByKernel: boolean;
}

// An object's BTF loaded in the kernel, the type ids of its maps by MapDef name and of its
// functions by name (object-btf.ts).
export interface LoadedObjectBtf extends Pick<ObjectBtf, "mapTypeIds" | "funcTypeIds" | "stringOffsets"> {
  readonly handle: KernelBtf;
}

// The kernel oracle cannot be used here (no Linux, no koffi, unknown architecture).
export class KernelUnavailableError extends OffloadSimError {}

const mapLabel = (def: MapDef): string => `map '${def.name}'`;
const progLabel = (name: string): string => `program '${name}'`;

export class KernelSession {
  private readonly fds = new Set<number>();
  private readonly perfBuffers = new Set<KernelPerfBuffer>();
  private readonly ringbufs = new Set<KernelRingbuf>();
  private closed = false;
  private probedBtfSupport: BtfKernelSupport | undefined;

  private constructor(
    private readonly native: Native,
    readonly cpuCount: number,
  ) {}

  // `native` defaults to libc's bpf() (native.ts); a test passes one with an injected syscall.
  static open(native: Native | Error = loadNative()): KernelSession {
    if (native instanceof Error) throw new KernelUnavailableError(`the kernel oracle is unavailable: ${native.message}.`);
    return new KernelSession(native, possibleCpuCount());
  }

  // The fds this session currently owns.
  get openFds(): readonly number[] {
    return [...this.fds];
  }

  createMap(def: MapDef, options: CreateMapOptions = {}): KernelMap {
    this.checkOpen();
    let innerMapFd = options.innerMapFd;
    let template: KernelMap | undefined;
    if (innerMapFd === undefined && def.inner !== undefined) {
      template = this.createMap(def.inner, { ...(options.btf === undefined ? {} : { btf: options.btf }), ...(options.withoutBtf ? { withoutBtf: true } : {}) });
      innerMapFd = template.fd;
    }
    const ids = options.withoutBtf ? undefined : options.btf?.mapTypeIds.get(def.name);
    const lockBtf = ids === undefined && !options.withoutBtf ? this.spinLockBtf(def) : undefined;
    const btf = ids !== undefined && options.btf !== undefined ? { btfFd: options.btf.handle.fd, ...ids } : lockBtf?.btf;
    let map: KernelMap;
    try {
      const fd = this.own(createMapFd(this.native, def, innerMapFd, mapLabel(def), btf, options.kernelName));
      map = { kind: "map", fd, def, shape: valueShape(def, this.cpuCount) };
    } finally {
      if (template !== undefined) this.release(template);
      // The map holds its own reference to its BTF.
      if (lockBtf !== undefined) this.release(lockBtf.handle);
    }
    // Global data maps (.data, .rodata, .bss) start with the section's bytes at key 0 and
    // .rodata is then frozen, as libbpf does before loading programs that use them.
    try {
      if (def.initialValue !== undefined) this.update(map, new Uint8Array(def.keySize), def.initialValue);
      if (def.frozen === true) freezeMap(this.native, map.fd, mapLabel(def));
    } catch (error) {
      this.releaseAfterFailure([map]);
      throw error;
    }
    return map;
  }

  // A map whose value holds a bpf_spin_lock and that has no object BTF gets BTF made from its
  // definition (spin-lock-btf.ts), unless created withoutBtf; without it the kernel refuses every
  // program using the lock.
  private spinLockBtf(def: MapDef): { readonly handle: KernelBtf; readonly btf: MapBtf } | undefined {
    const made = spinLockMapBtf(def);
    if (made === undefined) return undefined;
    try {
      const handle = this.loadBtf(made.blob, `BTF made for ${mapLabel(def)}`);
      return { handle, btf: { btfFd: handle.fd, keyTypeId: made.keyTypeId, valueTypeId: made.valueTypeId } };
    } catch (error) {
      // A kernel without BTF: the map is created as before, and the verifier will say what it misses.
      if (error instanceof KernelError) return undefined;
      throw error;
    }
  }

  // The value stored under `key` in a map with one value per key, or undefined when absent.
  lookup(map: KernelMap, key: Uint8Array): Uint8Array | undefined {
    this.checkShared(map, "lookup");
    return this.lookupRaw(map, key);
  }

  // Whether a bloom filter answers "maybe present" for `value` (false: certainly absent).
  bloomContains(map: KernelMap, value: Uint8Array): boolean {
    this.checkOpen();
    if (map.def.type !== MapType.BLOOM_FILTER) throw new OffloadSimError(`${mapLabel(map.def)} is not a bloom filter.`);
    checkLength("value", value, map.def.valueSize, mapLabel(map.def));
    return bloomContains(this.native, map.fd, value, mapLabel(map.def));
  }

  // Every CPU's value under `key` in a per-CPU map, or undefined when absent.
  lookupPerCpu(map: KernelMap, key: Uint8Array): Uint8Array[] | undefined {
    this.checkPerCpu(map, "lookupPerCpu");
    const raw = this.lookupRaw(map, key);
    return raw === undefined ? undefined : splitPerCpu(raw, map.shape);
  }

  update(map: KernelMap, key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkShared(map, "update");
    checkLength("key", key, map.def.keySize, mapLabel(map.def));
    checkLength("value", value, map.def.valueSize, mapLabel(map.def));
    updateElem(this.native, map.fd, key, value, flags, mapLabel(map.def));
  }

  // Sets every CPU's value under `key`; `values` has one entry per possible CPU (cpuCount).
  updatePerCpu(map: KernelMap, key: Uint8Array, values: readonly Uint8Array[], flags: number = UpdateFlag.ANY): void {
    this.checkPerCpu(map, "updatePerCpu");
    checkLength("key", key, map.def.keySize, mapLabel(map.def));
    if (values.length !== map.shape.slots) {
      throw new OffloadSimError(
        `${mapLabel(map.def)} is per-CPU over ${map.shape.slots} possible CPUs, but ${values.length} values were given.`,
      );
    }
    const packed = new Uint8Array(map.shape.syscallValueBytes);
    values.forEach((value, cpu) => {
      checkLength("value", value, map.def.valueSize, mapLabel(map.def));
      packed.set(value, cpu * map.shape.slotStride);
    });
    updateElem(this.native, map.fd, key, packed, flags, mapLabel(map.def));
  }

  // Stores a program in a prog_array slot (the value tail calls jump through).
  setProgArraySlot(progArray: KernelMap, index: number, program: KernelProgram): void {
    this.updateFdValue(progArray, index, program.fd);
  }

  // Stores an inner map in an array-of-maps slot.
  setInnerMap(outer: KernelMap, key: Uint8Array, inner: KernelMap): void {
    this.checkOpen();
    checkLength("key", key, outer.def.keySize, mapLabel(outer.def));
    updateElem(this.native, outer.fd, key, u32(inner.fd), UpdateFlag.ANY, mapLabel(outer.def));
  }

  // Throws KernelError (ENOENT) when the key is absent, EINVAL for arrays.
  delete(map: KernelMap, key: Uint8Array): void {
    this.checkOpen();
    checkLength("key", key, map.def.keySize, mapLabel(map.def));
    deleteElem(this.native, map.fd, key, mapLabel(map.def));
  }

  // The key after `key` in the kernel's order (the first one for undefined), or undefined at the end.
  nextKey(map: KernelMap, key: Uint8Array | undefined): Uint8Array | undefined {
    this.checkOpen();
    if (key !== undefined) checkLength("key", key, map.def.keySize, mapLabel(map.def));
    return nextKey(this.native, map.fd, key, map.def.keySize, mapLabel(map.def));
  }

  // Throws OffloadSimError for the kinds user space cannot iterate (see isDumpableMapType).
  dumpMap(map: KernelMap): MapDump {
    this.checkOpen();
    if (!isDumpableMapType(map.def.type)) {
      throw new OffloadSimError(`${mapLabel(map.def)} (map type ${map.def.type}) cannot be read key by key from user space.`);
    }
    const pairs: { key: Uint8Array; raw: Uint8Array }[] = [];
    // get_next_key never yields more keys than max_entries; the bound only guards against a kernel bug looping forever.
    const bound = map.def.maxEntries + 1;
    for (let key = this.nextKey(map, undefined); key !== undefined; key = this.nextKey(map, key)) {
      if (pairs.length > bound) throw new OffloadSimError(`${mapLabel(map.def)} yielded more than max_entries keys.`);
      // A key can vanish between get_next_key and lookup (LRU eviction); it is then not part of the dump.
      const raw = this.lookupRaw(map, key);
      if (raw !== undefined) pairs.push({ key, raw });
    }
    if (!map.shape.perCpu) return { perCpu: false, entries: pairs.map(({ key, raw }) => ({ key, value: raw })) };
    return { perCpu: true, entries: pairs.map(({ key, raw }) => ({ key, values: splitPerCpu(raw, map.shape) })) };
  }

  loadBtf(blob: Uint8Array, label = "BTF"): KernelBtf {
    this.checkOpen();
    return { kind: "btf", fd: this.own(loadBtfFd(this.native, blob, label)) };
  }

  // An object's own BTF, fixed up as libbpf does and loaded, for creating its maps (and
  // loading its programs) with it; the reason it cannot be, as libbpf too goes on without BTF
  // when the kernel refuses it and nothing needs it.
  // `expected`: the object's BtfSummary, when the bytes were read again and might not be the object's.
  loadObjectBtf(
    objectBytes: Uint8Array,
    fileName: string,
    expected?: { readonly typeCount: number; readonly stringBytes: number },
  ): LoadedObjectBtf | ObjectBtfProblem {
    this.checkOpen();
    let prepared: ObjectBtf | undefined;
    try {
      prepared = prepareObjectBtf(objectBytes, fileName);
    } catch (error) {
      if (error instanceof OffloadSimError) return { problem: error.message, refusedByKernel: false };
      throw error;
    }
    if (prepared === undefined) return { problem: `${fileName} has no little-endian .BTF section.`, refusedByKernel: false };
    if (expected !== undefined && (expected.typeCount !== prepared.typeCount || expected.stringBytes !== prepared.stringBytes)) {
      return { problem: `${fileName} is no longer the file the object was loaded from (its .BTF differs).`, refusedByKernel: false };
    }
    const support = this.btfSupport();
    const blob = lacksAny(support) ? (sanitizeBtf(prepared.blob, support) ?? prepared.blob) : prepared.blob;
    try {
      // Without FUNC support the FUNCs became typedefs and cannot name functions (libbpf then passes no func info).
      const funcTypeIds = support.func ? prepared.funcTypeIds : new Map<string, number>();
      return { handle: this.loadBtf(blob, `the .BTF of ${fileName}`), mapTypeIds: prepared.mapTypeIds, funcTypeIds, stringOffsets: prepared.stringOffsets };
    } catch (error) {
      if (error instanceof KernelError) return { problem: error.message, refusedByKernel: true };
      throw error;
    }
  }

  // The BTF kinds this kernel accepts, probed once per session (btf-features.ts).
  btfSupport(): BtfKernelSupport {
    this.checkOpen();
    this.probedBtfSupport ??= probeBtfSupport((blob) => kernelAcceptsBtf(this.native, blob));
    return this.probedBtfSupport;
  }

  // BTF func info naming each function of a program (see func-btf.ts), for programs
  // whose subprograms the kernel accepts only with BTF; the BTF fd belongs to this session.
  funcInfoBtf(functions: readonly FunctionStart[]): ProgramBtf {
    const { blob, funcInfo } = staticFuncBtf(functions);
    return { btfFd: this.loadBtf(blob, "synthetic func BTF").fd, funcInfo };
  }

  // Loads a program or throws KernelError carrying the errno and the verifier log.
  loadProgram(spec: ProgramLoadSpec): KernelProgram {
    this.checkOpen();
    const name = spec.name ?? "prog";
    const loaded = loadProgramFd(this.native, spec, progLabel(name));
    const fd = this.own(loaded.fd);
    return { kind: "program", fd, name, progType: spec.progType ?? ProgType.XDP, verifierLog: loaded.verifierLog };
  }

  // The kernel verifier's verdict: the loaded program, or the KernelError that says why not.
  tryLoadProgram(spec: ProgramLoadSpec): LoadVerdict {
    try {
      return { accepted: true, program: this.loadProgram(spec) };
    } catch (error) {
      if (error instanceof KernelError) return { accepted: false, error };
      throw error;
    }
  }

  testRunXdp(program: KernelProgram, input: XdpTestRunInput): XdpTestRunResult {
    this.checkOpen();
    return testRunXdp(this.native, program.fd, input, progLabel(program.name));
  }

  // BPF_PROG_TEST_RUN for any program type, with the buffers as the kernel sees them.
  testRunRaw(program: KernelProgram, input: RawTestRunInput): RawTestRunResult {
    this.checkOpen();
    return testRunRaw(this.native, program.fd, input, progLabel(program.name));
  }

  programInfo(program: KernelProgram): ProgramInfo {
    this.checkOpen();
    return programInfo(this.native, program.fd, progLabel(program.name));
  }

  mapInfo(map: KernelMap): MapInfo {
    this.checkOpen();
    return mapInfo(this.native, map.fd, mapLabel(map.def));
  }

  // Attaches a reader to a perf event array, as libbpf's perf_buffer does (perf-buffer.ts).
  openPerfBuffer(map: KernelMap, dataPages: number = DEFAULT_PERF_PAGES): KernelPerfBuffer {
    this.checkOpen();
    if (map.def.type !== MapType.PERF_EVENT_ARRAY) throw new OffloadSimError(`${mapLabel(map.def)} is not a perf event array, so no perf buffer can read it.`);
    const rings: PerfRing[] = [];
    try {
      for (const cpu of onlineCpus().filter((c) => c < map.def.maxEntries)) {
        const ring = openPerfRing(this.native, cpu, dataPages, mapLabel(map.def));
        rings.push(ring);
        updateElem(this.native, map.fd, u32(cpu), u32(ring.fd), UpdateFlag.ANY, mapLabel(map.def));
      }
    } catch (error) {
      for (const ring of rings) closePerfRing(this.native, ring);
      throw error;
    }
    const buffer: KernelPerfBuffer = { kind: "perf-buffer", map, rings };
    this.perfBuffers.add(buffer);
    return buffer;
  }

  // The samples written since the last read, every CPU's, oldest first by the kernel's clock.
  readPerfBuffer(buffer: KernelPerfBuffer): PerfRecord[] {
    this.checkOpen();
    const records = buffer.rings.flatMap((ring) => readPerfRing(this.native, ring));
    const time = (r: PerfRecord): bigint => (r.kind === "sample" ? r.timeNs : 0n);
    return records.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0));
  }

  closePerfBuffer(buffer: KernelPerfBuffer): void {
    if (!this.perfBuffers.delete(buffer)) return;
    for (const ring of buffer.rings) closePerfRing(this.native, ring);
  }

  // Maps a ring buffer map's pages for reading (ringbuf-reader.ts).
  openRingbuf(map: KernelMap): KernelRingbuf {
    this.checkOpen();
    if (map.def.type !== MapType.RINGBUF) throw new OffloadSimError(`${mapLabel(map.def)} is not a ring buffer.`);
    const ring: KernelRingbuf = { kind: "ringbuf", map, mapping: mapRingbuf(this.native, map.fd, map.def.maxEntries, mapLabel(map.def)) };
    this.ringbufs.add(ring);
    return ring;
  }

  // The records submitted and not yet consumed, oldest first (discarded ones left out).
  ringbufRecords(ring: KernelRingbuf): Uint8Array[] {
    this.checkOpen();
    return pendingRingbufRecords(this.native, ring.mapping);
  }

  closeRingbuf(ring: KernelRingbuf): void {
    if (!this.ringbufs.delete(ring)) return;
    unmapRingbuf(this.native, ring.mapping);
  }

  // Runs `body` with the calling thread pinned to `cpu` (BPF_PROG_TEST_RUN runs the program on the caller's CPU),
  // then restores the thread's CPU mask.
  onCpu<T>(cpu: number, body: () => T): T {
    this.checkOpen();
    const saved = this.native.getAffinity();
    const mask = new Uint8Array(saved.length);
    mask[cpu >> 3] = 1 << (cpu & 7);
    const pinned = this.native.setAffinity(mask);
    if (pinned.result < 0) throw new KernelError({ command: "sched_setaffinity", call: `sched_setaffinity(cpu ${cpu})`, errno: pinned.errno });
    try {
      return body();
    } finally {
      this.native.setAffinity(saved);
    }
  }

  // Closes one object before the session ends (its handle must not be used afterwards).
  release(handle: KernelHandle): void {
    if (!this.fds.delete(handle.fd)) return;
    this.closeFd(handle.fd);
  }

  // Closes each handle on the way out of a failed operation: a close that fails is not reported,
  // the failure being handled is (release() forgets the fd either way).
  releaseAfterFailure(handles: readonly KernelHandle[]): void {
    for (const handle of handles) {
      try {
        this.release(handle);
      } catch (error) {
        if (!(error instanceof KernelError)) throw error;
      }
    }
  }

  // Closes every fd the session still owns; idempotent.
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const buffer of [...this.perfBuffers]) this.closePerfBuffer(buffer);
    for (const ring of [...this.ringbufs]) this.closeRingbuf(ring);
    const failures: KernelError[] = [];
    for (const fd of [...this.fds]) {
      this.fds.delete(fd);
      try {
        this.closeFd(fd);
      } catch (error) {
        if (error instanceof KernelError) failures.push(error);
        else throw error;
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  private closeFd(fd: number): void {
    const { result, errno } = this.native.close(fd);
    if (result < 0) throw new KernelError({ command: "close", call: `close(${fd})`, errno });
  }

  private own(fd: number): number {
    this.fds.add(fd);
    return fd;
  }

  private lookupRaw(map: KernelMap, key: Uint8Array): Uint8Array | undefined {
    this.checkOpen();
    checkLength("key", key, map.def.keySize, mapLabel(map.def));
    return lookupElem(this.native, map.fd, key, map.shape.syscallValueBytes, mapLabel(map.def));
  }

  private updateFdValue(map: KernelMap, index: number, fd: number): void {
    this.checkOpen();
    updateElem(this.native, map.fd, u32(index), u32(fd), UpdateFlag.ANY, mapLabel(map.def));
  }

  private checkOpen(): void {
    if (this.closed) throw new OffloadSimError("the kernel session is already closed.");
  }

  private checkShared(map: KernelMap, operation: string): void {
    this.checkOpen();
    if (map.shape.perCpu) throw new OffloadSimError(`${mapLabel(map.def)} is per-CPU: use ${operation}PerCpu.`);
  }

  private checkPerCpu(map: KernelMap, operation: string): void {
    this.checkOpen();
    if (!map.shape.perCpu) throw new OffloadSimError(`${mapLabel(map.def)} is not per-CPU: use ${operation.replace("PerCpu", "")}.`);
  }
}

// Runs `body` with a fresh session and closes every fd it opened, whatever `body` does.
export async function withKernel<T>(body: (kernel: KernelSession) => T | Promise<T>): Promise<T> {
  const kernel = KernelSession.open();
  let result: T;
  try {
    result = await body(kernel);
  } catch (error) {
    try {
      kernel.close();
    } catch {
      // The body's failure is the one worth reporting; close() has still closed every other fd.
    }
    throw error;
  }
  kernel.close();
  return result;
}

function splitPerCpu(raw: Uint8Array, shape: ValueShape): Uint8Array[] {
  return Array.from({ length: shape.slots }, (_, cpu) =>
    raw.slice(cpu * shape.slotStride, cpu * shape.slotStride + shape.valueSize),
  );
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}
