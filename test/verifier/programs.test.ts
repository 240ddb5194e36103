// Every sample program in programs/ (loaded from its ELF object) is accepted,
// as the kernel accepts it (programs/README.md; checked live below).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { objectKernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify, verifyOptionsFor } from "../../src/verifier/index.ts";
import { Confusion } from "./confusion.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const programsDir = join(import.meta.dirname, "..", "..", "programs");
const samples = readdirSync(programsDir)
  .filter((f) => f.endsWith(".o"))
  .sort()
  .flatMap((file) => {
    const bytes = new Uint8Array(readFileSync(join(programsDir, file)));
    const object = loadObject(bytes, file);
    return object.programs.map((program) => ({ file, bytes, object, program }));
  });

describe("sample programs", () => {
  it("finds every sample object", () => {
    expect(samples.length).toBeGreaterThanOrEqual(16);
  });

  it.each(samples.map((s) => [`${s.file} ${s.program.name}`, s] as const))("accepts %s", (_name, s) => {
    const result = verify(s.program.insns, s.object.maps, { license: s.object.license });
    expect(result.error?.lines.join(" | ") ?? "accepted").toBe("accepted");
  });

  it("records per-instruction facts the offload compiler reads (xdp_mac_swap)", () => {
    const s = samples.find((x) => x.program.name === "xdp_mac_swap")!;
    const result = verify(s.program.insns, s.object.maps);
    // At entry r1 is the context and r10 the frame pointer; nothing else is set.
    expect(result.insns[0].regs[1]).toMatchObject({ kind: "ptr", type: "ctx" });
    expect(result.insns[0].regs[10]).toMatchObject({ kind: "ptr", type: "fp" });
    expect(result.insns[0].regs[0]).toEqual({ kind: "not_init" });
    // The kernel's level-2 log ("Live regs before insn", r0-r9) shows ".1........" at insn 0 and "0........." at the last exit.
    expect(result.insns[0].liveRegs.filter((r) => r < 10)).toEqual([1]);
    expect(result.insns.at(-1)!.liveRegs.filter((r) => r < 10)).toEqual([0]);
    expect(result.insns.every((i) => i.reachable)).toBe(true);
  });
});

describe.skipIf(!kernelAvailable)("sample programs against the kernel", () => {
  const confusion = new Confusion();
  afterAll(() => console.log(confusion.render("sample programs: ours vs kernel")));

  it("gives the kernel's verdict on every sample, loaded as libbpf loads it", async () => {
    await withKernel((k) => {
      for (const s of samples) {
        const kernel = objectKernelVerdict(k, s.object, s.program.name, { objectBytes: s.bytes });
        const ours = verify(s.program.insns, s.object.maps, verifyOptionsFor(s.object, s.program));
        confusion.add(ours.accepted, kernel.accepted);
        expect({ program: s.program.name, accepted: ours.accepted }).toEqual({ program: s.program.name, accepted: kernel.accepted });
      }
    });
  });
});
