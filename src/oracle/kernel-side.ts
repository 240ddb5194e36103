// The kernel's half of the differential check: the object instantiated in
// the kernel (every map, every autoloaded program, as libbpf would), the
// same writes the interpreter's maps received replayed in the same order,
// test runs of the chosen program, and the maps read back after each run.
// Reading is by BPF_MAP_LOOKUP_BATCH where the map kind has it (else key by
// key), a map whose bytes did not change since the last read is not parsed
// again, and a map the program cannot change is read once.
import type { BpfObject } from "../elf/bpf-object.ts";
import { OffloadSimError } from "../errors.ts";
import { KernelError, instantiateObject, type KernelMap, type KernelObjectInstance, type KernelProgram, type KernelSession, type XdpTestRunResult } from "../kernel/index.ts";
import { loadNative } from "../kernel/native.ts";
import { UpdateFlag } from "../maps/index.ts";
import { lookupBatch, type RawEntries } from "./map-batch.ts";
import { isComparedMapType, isKeysOnlyMapType, isProgramWritable, type MapSnapshot, type Snapshot } from "./map-snapshot.ts";
import type { MapWrite } from "./object-setup.ts";

export class KernelSetupError extends OffloadSimError {}

export type KernelLoad =
  | { readonly kind: "loaded"; readonly side: KernelSide }
  | { readonly kind: "rejected"; readonly program: string; readonly error: KernelError };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export interface TimedRun {
  readonly result: XdpTestRunResult;
  // CLOCK_MONOTONIC just before and just after the syscall.
  readonly startNs: bigint;
  readonly endNs: bigint;
}

interface MapReading {
  raw: RawEntries | undefined;
  parsed: Map<string, Uint8Array[]>;
}

export class KernelSide {
  private readonly readings: (MapReading | undefined)[];
  // The maps the program can change (src/offload/written-maps.ts); undefined: any of them.
  private mayChange: ReadonlySet<number> | undefined;

  private constructor(
    private readonly k: KernelSession,
    readonly instance: KernelObjectInstance,
    readonly program: KernelProgram,
  ) {
    this.readings = instance.maps.map(() => undefined);
  }

  // Instantiates `object`, replays `writes`, and returns the side for `programName`, or the verifier's refusal.
  static load(k: KernelSession, object: BpfObject, programName: string, writes: readonly MapWrite[]): KernelLoad {
    const instance = instantiateObject(k, object);
    const verdict = instance.verdicts.get(programName);
    if (verdict === undefined) throw new KernelSetupError(`${object.fileName}: program '${programName}' is not loaded automatically (its section starts with '?').`);
    if (!verdict.accepted) return { kind: "rejected", program: programName, error: verdict.error };
    const side = new KernelSide(k, instance, verdict.program);
    for (const write of writes) side.replay(object, write);
    return { kind: "loaded", side };
  }

  private replay(object: BpfObject, write: MapWrite): void {
    const map = this.instance.maps[write.mapIndex];
    try {
      switch (write.kind) {
        case "prog-slot": {
          // The slot holds the kernel's fd of the same program, as libbpf stores it.
          const verdict = this.instance.verdicts.get(write.program);
          if (verdict === undefined || !verdict.accepted) {
            throw new KernelSetupError(`${object.fileName}: prog_array '${map.def.name}' slot ${write.slot} names program '${write.program}', which the kernel did not load.`);
          }
          this.k.setProgArraySlot(map, write.slot, verdict.program);
          return;
        }
        case "inner-map":
          // The entry holds the kernel's fd of the same inner map of the object.
          this.k.setInnerMap(map, write.key, this.instance.maps[write.innerMapIndex]);
          return;
        case "update":
          this.write(map, write.key, this.split(map, write.value), write.flags);
          return;
        default: {
          const unknown: never = write;
          throw new KernelSetupError(`unknown map write ${JSON.stringify(unknown)}`);
        }
      }
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      throw new KernelSetupError(`the kernel refuses a write to map '${map.def.name}' that the interpreter accepted (${error.message.replace(/\.$/, "")}); check the map file and --env.`);
    }
  }

  private split(map: KernelMap, value: Uint8Array): Uint8Array[] {
    const { shape } = map;
    if (!shape.perCpu) return [value];
    return Array.from({ length: shape.slots }, (_, cpu) => value.slice(cpu * shape.slotStride, cpu * shape.slotStride + shape.valueSize));
  }

  private write(map: KernelMap, key: Uint8Array, values: readonly Uint8Array[], flags: number): void {
    if (map.shape.perCpu) this.k.updatePerCpu(map, key, values, flags);
    else this.k.update(map, key, values[0], flags);
  }

  run(packet: Uint8Array): TimedRun {
    const startNs = process.hrtime.bigint();
    const result = this.k.testRunXdp(this.program, { packet });
    const endNs = process.hrtime.bigint();
    return { result, startNs, endNs };
  }

  // Sets an entry to `values` (one per CPU for per-CPU maps), or deletes it when undefined.
  setEntry(mapIndex: number, key: string, values: readonly Uint8Array[] | undefined): void {
    const map = this.instance.maps[mapIndex];
    const keyBytes = Uint8Array.from(Buffer.from(key, "hex"));
    if (values === undefined) this.k.delete(map, keyBytes);
    else this.write(map, keyBytes, values, UpdateFlag.ANY);
    this.readings[mapIndex] = undefined;
  }

  // After this, a map the program cannot change is read once and not again after each run (a setEntry reads it again).
  readOnlyExcept(mayChange: ReadonlySet<number> | undefined): void {
    this.mayChange = mayChange;
  }

  // Every compared map's contents, and which of them changed since the previous call.
  snapshot(): { readonly snapshot: Snapshot; readonly changed: ReadonlySet<number> } {
    const native = loadNative();
    const changed = new Set<number>();
    const snapshot = this.instance.maps.flatMap((map, index) => {
      if (!isComparedMapType(map.def.type)) return [];
      const previous = this.readings[index];
      const fixed = !isProgramWritable(map.def) || (this.mayChange !== undefined && !this.mayChange.has(index));
      if (previous !== undefined && fixed) return [{ index, map: this.mapSnapshot(map, previous) }];
      const raw = native instanceof Error || isKeysOnlyMapType(map.def.type) ? undefined : lookupBatch(native, map);
      let reading: MapReading;
      if (raw !== undefined && previous?.raw !== undefined && sameEntries(raw, previous.raw)) {
        reading = previous;
      } else {
        reading = { raw, parsed: raw !== undefined ? parseRaw(map, raw) : this.readKeyByKey(map) };
        changed.add(index);
      }
      this.readings[index] = reading;
      return [{ index, map: this.mapSnapshot(map, reading) }];
    });
    return { snapshot, changed };
  }

  private mapSnapshot(map: KernelMap, reading: MapReading): MapSnapshot {
    return { name: map.def.name, perCpu: map.shape.perCpu, keysOnly: isKeysOnlyMapType(map.def.type), entries: reading.parsed };
  }

  private readKeyByKey(map: KernelMap): Map<string, Uint8Array[]> {
    const entries = new Map<string, Uint8Array[]>();
    const dump = this.k.dumpMap(map);
    if (dump.perCpu) for (const entry of dump.entries) entries.set(hex(entry.key), [...entry.values]);
    else for (const entry of dump.entries) entries.set(hex(entry.key), [entry.value]);
    return entries;
  }
}

function parseRaw(map: KernelMap, raw: RawEntries): Map<string, Uint8Array[]> {
  const { shape } = map;
  const keySize = map.def.keySize;
  const entries = new Map<string, Uint8Array[]>();
  for (let i = 0; i < raw.count; i++) {
    const key = raw.keys.subarray(i * keySize, (i + 1) * keySize);
    const value = raw.values.subarray(i * shape.syscallValueBytes, (i + 1) * shape.syscallValueBytes);
    const values = shape.perCpu ? Array.from({ length: shape.slots }, (_, cpu) => value.slice(cpu * shape.slotStride, cpu * shape.slotStride + shape.valueSize)) : [value.slice(0, shape.valueSize)];
    entries.set(hex(key), values);
  }
  return entries;
}

function sameEntries(a: RawEntries, b: RawEntries): boolean {
  return a.count === b.count && Buffer.compare(a.keys, b.keys) === 0 && Buffer.compare(a.values, b.values) === 0;
}
