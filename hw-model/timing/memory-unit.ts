// One memory unit as a queue: commands are served one after another at the
// unit's command rate and bandwidth, then take the unit's latency to complete.
// A command that finds the unit busy waits, so latency grows with load. Atomic
// commands go through the unit's atomic engine, a queue of its own. EMEM reads
// hit its cache with a probability the placed maps' footprint decides; the draw
// comes from a seeded generator, so a run is repeatable.
import type { UnitInstance } from "./topology.ts";
import { MemKind } from "../exec/trace.ts";

export class MemoryUnitTimer {
  private freeAt = 0;
  private atomicFreeAt = 0;
  busyCycles = 0;
  // Of busyCycles, the part spent in the atomic engine.
  atomicBusyCycles = 0;
  commands = 0;
  bytes = 0;
  queueCycles = 0;
  // Probability that a read hits the cache (EMEM); 1 elsewhere.
  hitRatio = 1;
  private rng: number;

  constructor(
    readonly unit: UnitInstance,
    seed: number,
    private readonly remoteExtraCycles: number,
  ) {
    this.rng = (seed ^ Math.imul(unit.index + 1, 0x9e3779b1)) | 0 || 1;
  }

  private random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (x >>> 0) / 4294967296;
  }

  // Time the command issued at `t` completes (its signal arrives). `fromIsland` is the issuing core's island.
  serve(t: number, bytes: number, kind: number, fromIsland: number, alwaysHit = false): number {
    const u = this.unit;
    const service = Math.max(u.cyclesPerCommand, bytes / u.bytesPerCycle);
    let start: number;
    if (kind === MemKind.ATOMIC) {
      start = Math.max(t, this.atomicFreeAt);
      this.atomicFreeAt = start + Math.max(u.atomicCyclesPerCommand, service);
      this.busyCycles += Math.max(u.atomicCyclesPerCommand, service);
      this.atomicBusyCycles += Math.max(u.atomicCyclesPerCommand, service);
    } else {
      start = Math.max(t, this.freeAt);
      this.freeAt = start + service;
      this.busyCycles += service;
    }
    this.commands++;
    this.bytes += bytes;
    this.queueCycles += start - t;
    let latency = u.latencyCycles;
    if (u.cacheBytes > 0 && kind === MemKind.READ && (alwaysHit || this.random() < this.hitRatio)) latency = u.cacheHitLatencyCycles;
    if (u.island >= 0 && fromIsland !== u.island) latency += this.remoteExtraCycles;
    return start + service + latency;
  }
}
