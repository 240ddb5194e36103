// The lock-step trace of a counterexample. A deliberately broken build (the
// code generator's add64-no-carry mutant, in a child process) runs a small
// program whose only 64-bit add carries out of the low word: the trace must
// end at that add, found independently in llvm-objdump's listing of the
// object. A build whose 64-bit moves swap words (mov64-swaps-words) is caught at
// the move llvm-objdump lists, naming the register and the NIC register that is
// its home in the image. And on agreeing runs of every sample program the trace
// lines up with the host's steps to the end (no divergence is claimed where there is none).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { OffloadBackend, subjectFromObject } from "../../src/equiv/index.ts";
import { caseArbitrary, runCase, TargetCache } from "../../src/equiv/case.ts";
import { runHostSide } from "../../src/equiv/host-side.ts";
import { firstDivergence, formatDivergence } from "../../src/equiv/lockstep.ts";
import type { TraceStep } from "../../src/interp/index.ts";

// Two u32 words of the packet summed in 64 bits and written back: a sum past 2^32 needs the carry.
const ADD_CARRY_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int add_carry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 24 > end)
		return XDP_PASS;
	__u64 a = *(__u32 *)(data + 14);
	__u64 b = *(__u32 *)(data + 18);
	*(__u64 *)(data + 14) = a + b;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
`;

// A u32 of the packet copied with a 64-bit move and mixed with the copy: the move is the only scalar one.
const MOVE_WORD_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int copy_word(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 30 > end)
		return XDP_PASS;
	__u64 word = *(__u32 *)(data + 14);
	__u64 mixed = word * 0x100000001ULL;
	*(__u64 *)(data + 14) = mixed ^ word;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
`;

function toolMissing(): string | undefined {
  for (const tool of ["clang", "llvm-objdump"]) if (spawnSync(tool, ["--version"]).status !== 0) return `${tool} is not installed (apt-get install clang llvm)`;
  return undefined;
}
const missing = toolMissing();
if (missing) console.warn(`\n*** LOCK-STEP MUTANT TEST SKIPPED: ${missing} ***\n`);

describe.skipIf(missing !== undefined)("a broken build's counterexample ends its lock-step trace at the broken instruction", () => {
  const dir = mkdtempSync(join(tmpdir(), "equiv-lockstep-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("add64-no-carry: the last row is the 64-bit add, with the microcode that implements it", { timeout: 120_000 }, () => {
    writeFileSync(join(dir, "add_carry.c"), ADD_CARRY_C);
    const built = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, "-c", "add_carry.c", "-o", "add_carry.o"], { cwd: dir, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    // The add, as llvm-objdump prints it: "       8:\t0f 23 00 00 00 00 00 00\tr3 += r2" (opcode 0x0f: BPF_ALU64 | BPF_ADD | BPF_X).
    const listing = spawnSync("llvm-objdump", ["-d", join(dir, "add_carry.o")], { encoding: "utf8" }).stdout;
    const adds = [...listing.matchAll(/^\s*(\d+):\s+0f [0-9a-f ]+\s+(r\d) \+= (r\d)$/gm)];
    expect(adds.length, listing).toBe(1);
    const addPc = Number(adds[0][1]);

    const run = spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", join(dir, "add_carry.o"), "--runs", "300", "--seed", "1"], {
      encoding: "utf8",
      env: { ...process.env, OFFLOAD_SIM_MUTANT: "add64-no-carry" },
      timeout: 100_000,
    });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const out = run.stdout;
    const trace = out.slice(out.indexOf("first divergence"), out.indexOf("\n\nreplay:"));
    // Two u32 words sum to less than 2^33: the lost carry is a high word of 1.
    expect(trace, out).toContain(`result differs: the host's new ${adds[0][2]} has high word 0x00000001`);
    const rows = [...trace.matchAll(/^ {2}eBPF pc (\d+): (.*)$/gm)];
    const last = rows[rows.length - 1];
    expect(Number(last[1]), trace).toBe(addPc);
    expect(last[2]).toContain(`${adds[0][2]} += ${adds[0][3]}`);
    // The host's sum beside its homes: both high words are zero-extended u32s' (0), so without the carry the high home holds 0.
    expect(last[2]).toMatch(new RegExp(`host: ${adds[0][2]} = 0x00000001[0-9a-f]{8} \\(home lo [ab]\\d+=0x[0-9a-f]{8}, hi [ab]\\d+=0x00000000\\)`));
    expect(trace).toMatch(new RegExp(`has high word 0x00000001, but its home [ab]\\d+ holds 0x00000000`));
    // Under it, the microcode of that add, with its register writes.
    const below = trace.slice(trace.indexOf(last[0]) + last[0].length).split("\n").filter((l) => l.trim() !== "");
    expect(below.length).toBeGreaterThan(0);
    for (const l of below) expect(l).toMatch(/^ {6}s\d+ pc +\d+ {2}\S/);
    expect(below.some((l) => /\baddc? [ab]\d+, /.test(l))).toBe(true);
  });
});

describe.skipIf(missing !== undefined)("a corrupted register is found in its home", () => {
  const dir = mkdtempSync(join(tmpdir(), "equiv-homes-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("mov64-swaps-words: the last row is the 64-bit move, naming the register and the NIC register that is its home", { timeout: 120_000 }, () => {
    writeFileSync(join(dir, "copy_word.c"), MOVE_WORD_C);
    const built = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`, "-c", "copy_word.c", "-o", "copy_word.o"], { cwd: dir, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    // llvm-objdump: the u32 load "rA = *(u32 *)(rB + 14)", then the move "rC = rA" (opcode 0xbf: BPF_ALU64 | BPF_MOV | BPF_X).
    const listing = spawnSync("llvm-objdump", ["-d", join(dir, "copy_word.o")], { encoding: "utf8" }).stdout;
    const load = /^\s*\d+:\s+61 [0-9a-f ]+\s+(r\d) = \*\(u32 \*\)\(r\d \+ 14\)$/m.exec(listing);
    expect(load, listing).not.toBeNull();
    const moves = [...listing.matchAll(/^\s*(\d+):\s+bf [0-9a-f ]+\s+(r\d) = (r\d)$/gm)].filter((m) => m[3] === load![1]);
    expect(moves.length, listing).toBe(1);
    const [, movePc, dst, src] = moves[0];

    const run = spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", join(dir, "copy_word.o"), "--runs", "300", "--seed", "1"], {
      encoding: "utf8",
      env: { ...process.env, OFFLOAD_SIM_MUTANT: "mov64-swaps-words" },
      timeout: 100_000,
    });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const out = run.stdout;
    const trace = out.slice(out.indexOf("first divergence"), out.indexOf("\n\nreplay:"));
    // The source is a zero-extended u32: its high word, 0, lands in the destination's low word.
    expect(trace, out).toMatch(new RegExp(`the host's new ${dst} has low word 0x[0-9a-f]{8}, but its home [ab]\\d+ holds 0x00000000`));
    const rows = [...trace.matchAll(/^ {2}eBPF pc (\d+): (.*)$/gm)];
    const last = rows[rows.length - 1];
    expect(last[1], trace).toBe(movePc);
    expect(last[2]).toMatch(new RegExp(`^${dst} = ${src}   host: ${dst} = 0x[0-9a-f]{16} \\(home lo [ab]\\d+=0x00000000`));
  });
});

describe("lock-step traces of agreeing runs line up to the end", () => {
  const backend = OffloadBackend.forPreset("nfp-4000");
  afterAll(() => backend.close());
  const subjects = readdirSync("programs")
    .filter((f) => f.endsWith(".o"))
    .sort()
    .flatMap((f) => loadObject(new Uint8Array(readFileSync(`programs/${f}`)), f).programs.filter((p) => p.type === "xdp").map((p) => ({ file: `programs/${f}`, program: p.name })));

  for (const { file, program } of subjects) {
    it(`${program}: no divergence claimed on 6 agreeing cases`, { timeout: 60_000 }, () => {
      const subject = subjectFromObject({ objectFile: file, program });
      const cache = new TargetCache(backend);
      for (const c of fc.sample(caseArbitrary(fc.constant(subject), subject.mapDefs, { maxInputs: 1 }), { numRuns: 6, seed: 11 })) {
        const report = runCase(c, { cores: [1, 8, 16], cache, trace: true });
        const input = report.inputs[0];
        if (!report.agreed || input.nic === undefined) continue;
        expect(input.nic.trace).toBeDefined();
        const steps: TraceStep[] = [];
        runHostSide(subject, input.prepared.packet, input.prepared.applied.maps, input.prepared.env, (s) => steps.push(s));
        const d = firstDivergence(subject.insns, steps, input.nic.trace!, input.nic.hostResumePc, input.nic.lowered, input.nic.registerHomes);
        expect(input.nic.registerHomes, "the image says where registers live").toBeDefined();
        expect(d.kind, formatDivergence(d).join("\n")).toBe("none");
      }
    });
  }
});
