// The profile a run plans with counts only the profiled program's own
// instructions: a tail-called program numbers its instructions from 0 too, and
// its steps must not land on the caller's pcs (realworld2 multi_stage.o:
// xdp_entry tail-calls stage_ipv4 for every IPv4 packet).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { offloadSimInProcess } from "./cli-in-process.ts";

const object = new URL("../fixtures/realworld2/multi_stage.o", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sim-profile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface RunJson {
  readonly run: {
    readonly program: { readonly profiledPackets: number; readonly listing: readonly { readonly pc: number; readonly hits: number }[] };
    readonly offload: { readonly hostPart: { readonly description: string } | null };
  };
}

describe("run on a program that tail-calls", () => {
  it("profiles xdp_entry's own pcs once per packet, and expects every packet on the host at pc 7, as partition does", async () => {
    const json = join(dir, "entry.json");
    // The default traffic is one IPv4 UDP flow: every packet is tail-called into stage_ipv4.
    const out = await offloadSimInProcess(["run", object, "--prog", "xdp_entry", "--cores", "8", "--packets", "200", "--json", json]);
    expect(out.status, out.stderr).toBe(0);
    const { run } = JSON.parse(readFileSync(json, "utf8")) as RunJson;
    const hits = new Map(run.program.listing.map((row) => [row.pc, row.hits]));
    // llvm-objdump -d: xdp_entry is instructions 65.. of section xdp; its pcs 0..7 (65..72) are straight-line code
    // (the first jump, `if r0 == 0`, is pc 8), so each runs exactly once a packet. pc 6 is an ld_imm64's second slot.
    for (let pc = 0; pc <= 7; pc++) if (hits.has(pc)) expect(hits.get(pc), `pc ${pc}`).toBe(run.program.profiledPackets);
    expect(run.program.profiledPackets).toBeGreaterThan(0);
    expect(run.offload.hostPart?.description).toMatch(/^packets reaching pc 7 go to the host \(100\.0% expected\)/);
    expect(out.stdout).not.toContain("200.0% expected");
    const partition = await offloadSimInProcess(["partition", object, "--prog", "xdp_entry", "--cores", "8"]);
    expect(partition.stdout).toContain("packets reaching pc 7 go to the host (100.0% expected)");
  });
});
