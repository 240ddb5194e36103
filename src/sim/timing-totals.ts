// Adds up the timing model's results over the windows a run is simulated in.
// A window's utilisation is busy time over its duration, so the run's is the
// duration-weighted mean; idle gaps between windows (a replay with timestamps
// that leaves the card idle) count as idle time. Counts add.
import type { PacketRecord, SimResult } from "../../hw-model/index.ts";
import { LatencyHistogram } from "./latency-histogram.ts";

export interface WeightedUsage {
  readonly name: string;
  readonly kind: string;
  // Sum over windows of utilisation x window duration.
  busyNs: number;
  commands: number;
  queueCyclesTotal: number;
}

export interface CoreTotals {
  readonly core: number;
  readonly island: number;
  readonly stage: number;
  busyNs: number;
  packets: number;
}

export class TimingTotals {
  readonly latency = new LatencyHistogram();
  windows = 0;
  durationNs = 0;
  idleGapNs = 0;
  offered = 0;
  processed = 0;
  // Sum of (packets - 1) and of the arrival span per window: the offered rate.
  offeredIntervals = 0;
  offeredSpanNs = 0;
  processedWireBytes = 0;
  processedFrameBytes = 0;
  readonly lost = new Map<string, number>();
  readonly fates = { wire: 0, host: 0, dropped: 0, lost: 0 };
  // Packets by final action code (lost packets excluded).
  readonly actions = new Map<number, number>();
  readonly units = new Map<string, WeightedUsage>();
  readonly cores = new Map<number, CoreTotals>();
  stageThreadBusyNs: number[] = [];
  readonly stageVisits: { count: number; serviceNs: number }[] = [];
  ingressBusyNs = 0;
  egressBusyNs = 0;
  hostBusyNs = 0;

  // Called for every packet record of a window.
  notePacket(record: PacketRecord, wireBytes: number): void {
    this.offered++;
    if (record.fate === "lost") return;
    this.processed++;
    this.processedWireBytes += wireBytes;
    this.processedFrameBytes += record.bytes;
    this.latency.record(record.endNs - record.arrivalNs);
    this.actions.set(record.action, (this.actions.get(record.action) ?? 0) + 1);
    for (const visit of record.stages) {
      const s = (this.stageVisits[visit.stage] ??= { count: 0, serviceNs: 0 });
      s.count++;
      s.serviceNs += visit.endNs - visit.startNs;
    }
  }

  // Called once per window, after its packets; `gapNs` is idle time before the window began.
  noteWindow(result: SimResult, arrivalSpanNs: number, gapNs: number): void {
    const d = result.durationNs;
    this.windows++;
    this.durationNs += d + gapNs;
    this.idleGapNs += gapNs;
    if (result.packets > 1) {
      this.offeredIntervals += result.packets - 1;
      this.offeredSpanNs += arrivalSpanNs;
    }
    for (const [reason, n] of Object.entries(result.lost)) this.lost.set(reason, (this.lost.get(reason) ?? 0) + n);
    for (const fate of ["wire", "host", "dropped", "lost"] as const) this.fates[fate] += result.fates[fate];
    for (const u of result.units) {
      const usage = this.units.get(u.name) ?? { name: u.name, kind: u.kind, busyNs: 0, commands: 0, queueCyclesTotal: 0 };
      usage.busyNs += u.utilization * d;
      usage.commands += u.commands;
      usage.queueCyclesTotal += u.meanQueueCycles * u.commands;
      this.units.set(u.name, usage);
    }
    for (const c of result.cores) {
      const core = this.cores.get(c.core) ?? { core: c.core, island: c.island, stage: c.stage, busyNs: 0, packets: 0 };
      core.busyNs += c.utilization * d;
      core.packets += c.packets;
      this.cores.set(c.core, core);
    }
    result.threadOccupancy.forEach((occupancy, stage) => {
      this.stageThreadBusyNs[stage] = (this.stageThreadBusyNs[stage] ?? 0) + occupancy * d;
    });
    this.ingressBusyNs += result.ingressUtilization * d;
    this.egressBusyNs += result.egressUtilization * d;
    this.hostBusyNs += result.hostUtilization * d;
  }

  utilization(busyNs: number): number {
    return this.durationNs > 0 ? busyNs / this.durationNs : 0;
  }

  lostTotal(): number {
    let n = 0;
    for (const v of this.lost.values()) n += v;
    return n;
  }
}
