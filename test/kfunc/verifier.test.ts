// Our verdict on programs calling kfuncs equals the kernel's (Linux 6.18 here),
// and a kfunc our verifier does not know gets no verdict instead of a guess.
import { describe, expect, it } from "vitest";
import type { BpfObject, BpfProgram } from "../../src/elf/bpf-object.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { objectKernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify, verifyOptionsFor, VerifierUnsupportedError } from "../../src/verifier/index.ts";
import { kernelAvailable } from "../verifier/kernel-gate.ts";
import { bpftoolAvailable, bpftoolMember, clangAvailable, kernelBtfAvailable, loadFixture } from "./fixtures.ts";

const ready = clangAvailable && kernelBtfAvailable && bpftoolAvailable;

function nfConnDefines(): Record<string, number> {
  const status = bpftoolMember("nf_conn", "status");
  const mark = bpftoolMember("nf_conn", "mark");
  return { NF_CONN_STATUS_OFF: status.offsetBytes, NF_CONN_MARK_OFF: mark.offsetBytes, NF_CONN_BYTES: status.structBytes };
}

function ours(object: BpfObject, program: BpfProgram): { accepted: boolean; message: string } {
  const result = verify(program.insns, object.maps, verifyOptionsFor(object, program));
  return result.error ? { accepted: false, message: result.error.lines.at(-1) ?? "" } : { accepted: true, message: "" };
}

// What a reader of net/netfilter/nf_conntrack_bpf.c and check_kfunc_args expects of each program.
const expected: Readonly<Record<string, { accepted: boolean; message?: string }>> = {
  releases: { accepted: true },
  leaks: { accepted: false, message: "BPF_EXIT instruction in main prog would lead to reference leak" },
  releases_unchecked: { accepted: false, message: "Possibly NULL pointer passed to trusted arg0" },
  reads_fields: { accepted: true },
  writes_status: { accepted: false },
  uses_after_release: { accepted: false },
  reads_past_end: { accepted: false },
  tuple_too_long: { accepted: false, message: "arg#1 arg#2 memory, len pair leads to invalid memory access" },
  ctx_not_given: { accepted: false, message: "arg#0 expected pointer to ctx, but got fp" },
};

describe.runIf(ready)("conntrack kfuncs: our verdicts", () => {
  const object = () => loadFixture("ct_cases", nfConnDefines());
  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ${want.accepted ? "accepted" : `rejected${want.message ? ` (${want.message})` : ""}`}`, () => {
      const obj = object();
      const verdict = ours(obj, obj.programs.find((p) => p.name === name)!);
      expect(verdict.accepted).toBe(want.accepted);
      if (want.message) expect(verdict.message).toBe(want.message);
    });
  }

  it("a non-GPL program may not call a kfunc", () => {
    const obj = loadFixture("not_gpl");
    expect(ours(obj, obj.programs[0])).toEqual({ accepted: false, message: "cannot call kernel function from non-GPL compatible program" });
  });

  it("a metadata kfunc in a program that is not device-bound is refused", () => {
    const obj = loadFixture("rx_hash");
    expect(ours(obj, obj.programs[0])).toEqual({ accepted: false, message: "metadata kfuncs require device-bound program" });
  });

  it("a kfunc missing from our table gets no verdict, naming it", () => {
    const obj = loadFixture("rcu_lock");
    expect(() => ours(obj, obj.programs[0])).toThrow(VerifierUnsupportedError);
    expect(() => ours(obj, obj.programs[0])).toThrow("kfunc call not supported by our verifier: bpf_rcu_read_lock");
  });
});

describe.runIf(ready && kernelAvailable)("conntrack kfuncs: the kernel agrees", () => {
  const cases = (): { obj: BpfObject; program: BpfProgram }[] => {
    const ct = loadFixture("ct_cases", nfConnDefines());
    return [...ct.programs.map((program) => ({ obj: ct, program })), ...["not_gpl", "rx_hash"].map((n) => ({ obj: loadFixture(n), program: loadFixture(n).programs[0] }))];
  };
  it("every program: same verdict, and the kernel's reason line where we reject", async () => {
    await withKernel((k) => {
      for (const { obj, program } of cases()) {
        // Loaded as libbpf loads the object (its BTF, func and line info), as a user's loader would.
        const kernel = objectKernelVerdict(k, obj, program.name);
        const mine = ours(obj, program);
        expect({ program: program.name, accepted: mine.accepted }).toEqual({ program: program.name, accepted: kernel.accepted });
        if (!kernel.accepted) expect({ program: program.name, reason: kernel.logLines }).toEqual({ program: program.name, reason: expect.arrayContaining([mine.message]) });
      }
    });
  });
});

describe("__ksym variables", () => {
  it("a program loading one gets no verdict, naming it (test/fixtures/elf/externs.c)", async () => {
    const { loadObject } = await import("../../src/elf/load-object.ts");
    const { readFileSync } = await import("node:fs");
    const path = new URL("../fixtures/elf/externs.o", import.meta.url);
    const obj = loadObject(new Uint8Array(readFileSync(path)), "externs.o");
    const program = obj.programs.find((p) => p.name === "uses_kernel_symbols")!;
    expect(() => verify(program.insns, obj.maps, verifyOptionsFor(obj, program))).toThrow("the __ksym variable bpf_prog_active is not modelled by our verifier");
  });
});
