// Events in the equivalence suite: a program that sends a perf event on every
// frame and a ring buffer record on IPv6 frames, built with clang at test time.
// The kernel's events are read back (perf buffer, ring buffer pages) and
// compared with the host's and the NIC's; one frame's events are worked out
// by hand from the C source; and a host outcome missing an event is reported.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { OffloadBackend, subjectFromObject, type EquivSubject } from "../../src/equiv/index.ts";
import { caseArbitrary, runCase, TargetCache } from "../../src/equiv/case.ts";
import { runHostSide } from "../../src/equiv/host-side.ts";
import { kernelComparable } from "../../src/equiv/kernel-events.ts";
import { KernelBackedSide } from "../../src/equiv/kernel-side.ts";
import { applyMapState } from "../../src/equiv/map-state-arbitrary.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const EMITTER_C = `#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct sample {
	__u16 proto;
	__u8 len_lo;
};

SEC("xdp")
int emit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct sample s = {};
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	s.proto = eth->h_proto;
	s.len_lo = (__u8)(end - data);
	/* 3 bytes of the sample, then the frame's first 6 bytes */
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | ((__u64)6 << 32), &s, 3);
	if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6))
		bpf_ringbuf_output(&rb, &s, sizeof(s), 0);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

const clangMissing = spawnSync("clang", ["--version"]).status !== 0;
if (clangMissing) console.warn("\n*** EQUIV EVENT TESTS SKIPPED: clang is not installed (apt-get install clang libbpf-dev) ***\n");

describe.skipIf(!kernelAvailable || clangMissing)("events: NIC vs host interpreter vs kernel", () => {
  const dir = mkdtempSync(join(tmpdir(), "equiv-events-"));
  const backend = OffloadBackend.forPreset("nfp-4000");
  afterAll(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let subject: EquivSubject;
  const build = (): EquivSubject => {
    if (subject) return subject;
    writeFileSync(join(dir, "emit.c"), EMITTER_C);
    const built = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, "-c", "emit.c", "-o", "emit.o"], { cwd: dir, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    subject = subjectFromObject({ objectFile: join(dir, "emit.o") });
    return subject;
  };
  const noEdits = (s: EquivSubject) => applyMapState(s.baseMaps, s.baseWrites, s.mapDefs.map(() => []));
  const env = { randomSeed: 1, ingressIfindex: 1, clock: { startNs: 0n, nsPerInstruction: 0n, bootOffsetNs: 0n } };

  it("an IPv6 frame: the perf sample and the ring buffer record, worked out from the C source", { timeout: 60_000 }, async () => {
    const s = build();
    // Ethernet to 02:00:00:00:00:01 from 02:00:00:00:00:02, EtherType 0x86dd, 40 bytes after it: 54 bytes.
    const frame = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd, ...new Array<number>(40).fill(0)]);
    // struct sample: h_proto as it sits in the frame (86 dd), len_lo 54 = 0x36; then the frame's first 6 bytes.
    const perf = "perf-event on events: 86dd36020000000001";
    // The whole struct (4 bytes: one byte of padding, zero as `s = {}` left it).
    const ring = "ringbuf on rb: 86dd3600";
    const host = runHostSide(s, frame, noEdits(s).maps, env).outcome;
    expect(host.events).toEqual([perf, ring]);
    await withKernel((k) => {
      const checked = new KernelBackedSide(k).check(s, frame, noEdits(s), env, host);
      expect(checked.differences).toEqual([]);
      expect(checked.outcome?.events).toEqual([perf, ring]);
      expect(checked.outcome?.maps.find((m) => m.map === "rb")?.records).toEqual(["86dd3600"]);
      // A host that lost its ring buffer record is told apart.
      const missing = new KernelBackedSide(k).check(s, frame, noEdits(s), env, { ...host, events: [perf] });
      expect(missing.differences.map((d) => d.aspect)).toContain("events");
    });
  });

  it("generated frames: every side sends the same events", { timeout: 120_000 }, async () => {
    const s = build();
    const cache = new TargetCache(backend);
    let perfEvents = 0;
    let ringRecords = 0;
    await withKernel((k) => {
      const kernel = new KernelBackedSide(k);
      for (const c of fc.sample(caseArbitrary(fc.constant(s), s.mapDefs, { maxInputs: 1 }), { numRuns: 40, seed: 20_261_125 })) {
        const report = runCase(c, { cores: [1, 8, 16], cache, kernel });
        const input = report.inputs[0];
        expect(report.agreed, JSON.stringify(input.differences)).toBe(true);
        expect(kernelComparable(input.kernel?.events ?? [])).toEqual(kernelComparable(input.host.outcome.events));
        if (input.nic) expect(input.nic.outcome.events).toEqual(input.host.outcome.events);
        perfEvents += input.host.outcome.events.filter((e) => e.startsWith("perf-event")).length;
        ringRecords += input.host.outcome.events.filter((e) => e.startsWith("ringbuf")).length;
      }
    });
    // The generated frames reached both outputs (a frame of 14 bytes or more sends a perf event; IPv6 ones a record).
    expect(perfEvents).toBeGreaterThan(20);
    expect(ringRecords).toBeGreaterThan(0);
  });
});
