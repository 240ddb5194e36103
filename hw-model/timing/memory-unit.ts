// The card's memory units as queues: commands are served one after another at
// a unit's command rate and bandwidth, then take the unit's latency to complete.
// A command that finds the unit busy waits, so latency grows with load. Atomic
// commands go through the unit's atomic engine, a queue of its own. EMEM reads
// hit its cache with a probability the placed maps' footprint decides; the draw
// comes from a seeded generator per unit, so a run is repeatable.
//
// All units live in one object of typed arrays indexed by unit (the topology's
// numbering), so serving a command touches no per-unit object.
import type { UnitInstance } from "./topology.ts";
import { MemKind } from "../exec/trace.ts";

export class MemoryUnits {
  readonly count: number;
  // Parameters, from the topology.
  private readonly cyclesPerCommand: Float64Array;
  private readonly bytesPerCycle: Float64Array;
  private readonly atomicCyclesPerCommand: Float64Array;
  private readonly latencyCycles: Float64Array;
  private readonly cacheHitLatencyCycles: Float64Array;
  private readonly cached: Uint8Array;
  private readonly island: Int32Array;
  // Probability that a read hits the cache (units with a cache); 1 elsewhere.
  readonly hitRatio: Float64Array;
  // State and counters.
  private readonly freeAt: Float64Array;
  private readonly atomicFreeAt: Float64Array;
  private readonly rng: Int32Array;
  readonly busyCycles: Float64Array;
  // Of busyCycles, the part spent in the atomic engine.
  readonly atomicBusyCycles: Float64Array;
  readonly commands: Float64Array;
  readonly bytes: Float64Array;
  readonly queueCycles: Float64Array;

  // When the last command served completes (its signal arrives).
  doneAt = 0;

  // Commands are issued at `clock.now`.
  constructor(
    units: readonly UnitInstance[],
    seed: number,
    private readonly remoteExtraCycles: number,
    private readonly clock: { readonly now: number },
  ) {
    const n = units.length;
    this.count = n;
    const f64 = (get: (u: UnitInstance) => number): Float64Array => Float64Array.from(units, get);
    this.cyclesPerCommand = f64((u) => u.cyclesPerCommand);
    this.bytesPerCycle = f64((u) => u.bytesPerCycle);
    this.atomicCyclesPerCommand = f64((u) => u.atomicCyclesPerCommand);
    this.latencyCycles = f64((u) => u.latencyCycles);
    this.cacheHitLatencyCycles = f64((u) => u.cacheHitLatencyCycles);
    this.cached = Uint8Array.from(units, (u) => (u.cacheBytes > 0 ? 1 : 0));
    this.island = Int32Array.from(units, (u) => u.island);
    this.hitRatio = new Float64Array(n).fill(1);
    this.freeAt = new Float64Array(n);
    this.atomicFreeAt = new Float64Array(n);
    this.rng = Int32Array.from(units, (u) => (seed ^ Math.imul(u.index + 1, 0x9e3779b1)) | 0 || 1);
    this.busyCycles = new Float64Array(n);
    this.atomicBusyCycles = new Float64Array(n);
    this.commands = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.queueCycles = new Float64Array(n);
  }

  // xorshift32 of unit `u`, as a fraction in [0, 1).
  private random(u: number): number {
    let x = this.rng[u];
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng[u] = x;
    return (x >>> 0) / 4294967296;
  }

  // Serves a command issued to unit `u` now; doneAt is when it completes. `fromIsland` is the issuing
  // core's island. (The times go through fields: V8 boxes a fractional argument or result of a call.)
  serve(u: number, bytes: number, kind: number, fromIsland: number, alwaysHit: boolean): void {
    const t = this.clock.now;
    const service = Math.max(this.cyclesPerCommand[u], bytes / this.bytesPerCycle[u]);
    let start: number;
    if (kind === MemKind.ATOMIC) {
      start = Math.max(t, this.atomicFreeAt[u]);
      const engine = Math.max(this.atomicCyclesPerCommand[u], service);
      this.atomicFreeAt[u] = start + engine;
      this.busyCycles[u] += engine;
      this.atomicBusyCycles[u] += engine;
    } else {
      start = Math.max(t, this.freeAt[u]);
      this.freeAt[u] = start + service;
      this.busyCycles[u] += service;
    }
    this.commands[u]++;
    this.bytes[u] += bytes;
    this.queueCycles[u] += start - t;
    let latency = this.latencyCycles[u];
    if (this.cached[u] === 1 && kind === MemKind.READ && (alwaysHit || this.random(u) < this.hitRatio[u])) latency = this.cacheHitLatencyCycles[u];
    const island = this.island[u];
    if (island >= 0 && fromIsland !== island) latency += this.remoteExtraCycles;
    this.doneAt = start + service + latency;
  }
}
