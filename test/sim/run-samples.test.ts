// Every sample program in programs/ through `offload-sim run --cores 8`, with a
// capture and with a generated spec: the NIC part on the timing model, any
// part the card cannot run on the host stage, and every packet and the final
// maps identical to the host interpreter (exit status 0).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { equivalenceCounts, offloadSimInProcess, sampleMapFlags } from "./cli-in-process.ts";
import { SAMPLE_SPEC, sampleFrames, writeCapture } from "./sample-traffic.ts";

const programsDir = new URL("../../programs", import.meta.url).pathname;
const mapDir = join(programsDir, "maps");
const mapFiles = readdirSync(mapDir);
// Each object, and for the one with two programs (xdp_tailcall.o) each program by name.
const samples = readdirSync(programsDir)
  .filter((f) => f.endsWith(".o"))
  .flatMap((f): { object: string; prog: string | undefined }[] => (f === "xdp_tailcall.o" ? ["xdp_dispatch", "xdp_ipv4_stage"].map((prog) => ({ object: f, prog })) : [{ object: f, prog: undefined }]));
const dir = mkdtempSync(join(tmpdir(), "sim-samples-"));
const capture = join(dir, "mixed.pcap");
const PACKETS = 200;
const UNREACHED_HOST_PARTS = { capture: ["xdp_flow_count"], spec: ["xdp_flow_count", "xdp_l4_lb"] };

beforeAll(() => writeCapture(capture, sampleFrames(PACKETS)));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("every sample program runs on 8 cores, identical to the host", () => {
  it("finds the fifteen objects (seventeen programs) programs/README.md lists", () => {
    expect(samples).toHaveLength(17);
  });

  for (const { object, prog } of samples) {
    const name = prog ?? object.replace(/\.o$/, "");
    const args = [join(programsDir, object), ...(prog ? ["--prog", prog] : []), "--cores", "8", ...sampleMapFlags(object.replace(/\.o$/, ""), mapFiles, mapDir)];
    for (const traffic of ["capture", "spec"] as const) {
      it(`${name} with a ${traffic}`, async () => {
        const source = traffic === "capture" ? ["--pcap", capture] : ["--traffic", SAMPLE_SPEC, "--packets", String(PACKETS)];
        const r = await offloadSimInProcess(["run", ...args, ...source]);
        expect(r.stderr).toBe("");
        const counts = equivalenceCounts(r.stdout);
        expect(counts, r.stdout).toBeDefined();
        expect(counts!.line).not.toContain("MISMATCH");
        expect(counts!.compared).toBeGreaterThan(0);
        expect(counts!.identical).toBe(counts!.compared);
        expect(r.status).toBe(0);
        // A partly offloaded program says how many packets went to the host. The traffic reaches every host part but
        // xdp_flow_count's (only a full flow table, 16,384 flows, does) and, for the spec, xdp_l4_lb's (virtual IPs only).
        const toHost = /; ([\d,]+) of the ([\d,]+) packets offered \([\d.]+ %\) went there in the simulation/.exec(r.stdout);
        if (/^Offload +partly offloaded/m.test(r.stdout)) {
          expect(toHost).not.toBeNull();
          if (!UNREACHED_HOST_PARTS[traffic].includes(name)) expect(Number(toHost![1].replace(/,/g, ""))).toBeGreaterThan(0);
        } else expect(r.stdout).toMatch(/^Offload +fully offloaded/m);
      });
    }
  }
});
