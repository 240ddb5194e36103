// What the driver adds up per packet while the timing model runs: the latency
// histogram, packets by final action, wire and frame bytes of the processed
// packets, and each stage's service time. The model's own result gives the
// utilisations and loss counts at the end.
import type { PacketRecord } from "../../hw-model/index.ts";
import { LatencyHistogram } from "./latency-histogram.ts";

export class TimingTotals {
  readonly latency = new LatencyHistogram();
  offered = 0;
  processed = 0;
  processedWireBytes = 0;
  processedFrameBytes = 0;
  // Packets by final action code (lost packets excluded).
  readonly actions = new Map<number, number>();
  readonly stageVisits: { count: number; serviceNs: number }[] = [];

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
}
