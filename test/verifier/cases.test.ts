// The hand-written cases in test/verifier/cases/: each file's header states
// the verdict and, for a rejection, the line of the kernel's log that gives
// the reason (written from the kernel's source and checked against the
// running kernel below).
import { afterAll, describe, expect, it } from "vitest";
import { withKernel } from "../../src/kernel/index.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify } from "../../src/verifier/index.ts";
import { type VerifierCase, caseFiles, loadCase } from "./case-file.ts";
import { Confusion } from "./confusion.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const cases: VerifierCase[] = caseFiles().map(loadCase);
const optionsOf = (c: VerifierCase) => ({ license: c.license, strictAlignment: c.strictAlignment, btfFuncInfo: c.btfFuncInfo });

describe("hand-written verifier cases", () => {
  it("has at least 60 cases, accepted and rejected, each rejection with a distinct reason", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const rejected = cases.filter((c) => c.expect === "reject");
    expect(cases.filter((c) => c.expect === "accept").length).toBeGreaterThan(20);
    expect(rejected.length).toBeGreaterThan(40);
    for (const c of rejected) expect(c.message, `${c.file} names the kernel's message`).toBeTruthy();
    const reasons = new Set(rejected.map((c) => c.why));
    expect(reasons.size).toBe(rejected.length);
  });

  it.each(cases.map((c) => [c.file, c] as const))("%s: our verdict and message match the header", (_file, c) => {
    const result = verify(c.program, c.maps, optionsOf(c));
    if (c.expect === "accept") {
      expect(result.error?.lines.join(" | ") ?? "accepted").toBe("accepted");
    } else {
      expect(result.accepted).toBe(false);
      expect(result.error?.message).toBe(c.message);
    }
  });
});

describe.skipIf(!kernelAvailable)("hand-written verifier cases against the kernel", () => {
  const confusion = new Confusion();
  afterAll(() => console.log(confusion.render("hand-written cases: ours vs kernel")));

  it("every header states what the kernel says, and we say the same", async () => {
    const disagreements: string[] = [];
    await withKernel((k) => {
      for (const c of cases) {
        const ours = verify(c.program, c.maps, optionsOf(c));
        // With func info the kernel gets one record per function, starting where our layout says functions start.
        const functions = c.btfFuncInfo ? ours.functions.map((f, i) => ({ name: `f${i}`, startPc: f.startPc })) : undefined;
        const kernel = kernelVerdict(k, c.program, c.maps, { license: c.license, strictAlignment: c.strictAlignment, ...(functions ? { functions } : {}) });
        confusion.add(ours.accepted, kernel.accepted);
        const kernelVerdictText = kernel.accepted ? "accept" : "reject";
        if (kernelVerdictText !== c.expect) disagreements.push(`${c.file}: header says ${c.expect}, kernel says ${kernelVerdictText} (${kernel.message})`);
        if (!kernel.accepted && c.message !== undefined && !kernel.logLines.includes(c.message)) {
          disagreements.push(`${c.file}: the kernel's log lacks the header's message '${c.message}'; its verdict line is '${kernel.message}'`);
        }
        if (ours.accepted !== kernel.accepted) disagreements.push(`${c.file}: ours ${ours.accepted ? "accepts" : `rejects (${ours.error?.message})`}, kernel ${kernelVerdictText}s`);
        if (!ours.accepted && !kernel.accepted && !kernel.logLines.includes(ours.error!.message)) {
          disagreements.push(`${c.file}: our message '${ours.error!.message}' is not in the kernel's log (verdict line '${kernel.message}')`);
        }
      }
    });
    expect(disagreements).toEqual([]);
  });
});
