// The run's bottleneck names the resource that saturates: a core that issues all
// the time is core-bound even though its threads hold packets while they wait for
// it; a thread that spends its time waiting for memory is latency-bound. Both
// runs are timed by hand from the nfp-4000 preset's numbers (800 MHz, 8 contexts
// per core, 2-cycle context swap, 1 issue cycle per instruction, the firmware's
// 224 + 193 = 417 cycles per packet on stage 0, EMEM: 1 cycle per command and a
// 150-cycle cache hit, no maps placed so the ring get hits).
import { describe, expect, it } from "vitest";
import { loadPreset, simulate, assemble, type SimPacket } from "../../hw-model/index.ts";

const nfp4000 = loadPreset("nfp-4000");
const coreHz = 800e6;

// IPv4 frames of `length` bytes, offered back to back at 2 x 25 Gb/s: far more than one core takes.
const frames = (n: number, length: number): SimPacket[] =>
  Array.from({ length: n }, () => {
    const data = new Uint8Array(length);
    data[12] = 0x08;
    return { data };
  });

describe("bottleneck: cores against threads", () => {
  it("names the cores when one core issues all the time (compute-bound)", () => {
    // One core, 8 threads, the program `verdict drop`. Per packet the core spends: a swap to the thread
    // that takes the packet (2), its ring get (1 issue), a swap back once the entry arrived (2), the
    // firmware (417) and the verdict (1) = 423 cycles, so it does at most 800 MHz / 423 = 1.891 Mpps.
    // A thread holds a packet, not counting the time it waits ready for the busy core, for the ring
    // get (1 + 150) and its own 418 cycles: 569 of every 8 x 423 thread-cycles, 16.8 %.
    const image = { stages: [{ program: assemble("verdict drop"), cores: [0] }], maps: [] };
    const r = simulate(nfp4000, image, frames(3000, 64), { keepRecords: false });
    expect(r.cores[0].busyCycles / r.processed).toBe(423);
    expect(r.throughputPps).toBeLessThanOrEqual(coreHz / 423);
    expect(r.throughputPps).toBeGreaterThan(0.9 * (coreHz / 423));
    expect(r.cores[0].utilization).toBeGreaterThan(0.9);
    expect(r.threadOccupancy[0]).toBeGreaterThan(0.9 * (569 / (8 * 423)));
    expect(r.threadOccupancy[0]).toBeLessThan(1.1 * (569 / (8 * 423)));
    expect(r.bottleneck.name).toBe("stage0 cores");
  });

  it("names the threads when the one thread of a core waits on EMEM most of the time (latency-bound)", () => {
    // The same card configured with one context per core: the core idles while its thread waits.
    const preset = { ...nfp4000, topology: { ...nfp4000.topology, threadsPerCore: 1 } };
    // Four reads of the packet beyond the first 1 KB of its buffer, which lives in EMEM (a cache hit:
    // 1 cycle of service + 150), each waited for. Per packet: the ring get (151, no swap: the thread is
    // the core's only one), the firmware (417), csr_rd (1), four times a read's issue and wait
    // (1 + 151), the verdict (1) = 1,178 cycles, all of them holding the packet: 800 MHz / 1,178 =
    // 0.679 Mpps, the thread busy 100 % and the core 1 + 417 + 1 + 4 + 1 = 424 cycles of 1,178, 36.0 %.
    const source = ["csr_rd a0, data", ...Array.from({ length: 4 }, () => "mem_rd x0, a0, #1200, #4, s1, swap"), "verdict drop"].join("\n");
    const image = { stages: [{ program: assemble(source), cores: [0] }], maps: [] };
    const r = simulate(preset, image, frames(1500, 1500), { keepRecords: false });
    expect(r.cores[0].busyCycles / r.processed).toBe(424);
    expect(r.throughputPps / (coreHz / 1178)).toBeCloseTo(1, 2);
    expect(r.threadOccupancy[0]).toBeGreaterThan(0.99);
    expect(r.cores[0].utilization).toBeCloseTo(424 / 1178, 2);
    expect(r.bottleneck.name).toBe("stage0 threads");
  });
});
