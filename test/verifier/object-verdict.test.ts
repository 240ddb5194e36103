// objectKernelVerdict asks the kernel the way libbpf does (the object's own BTF,
// func and line info, map BTF), so its verdict on each program of each
// production-style and sample object is the one libbpf gets (test/elf's libbpf
// oracle, libbpf.so.1 through koffi, loading only that program): same verdict,
// and for a rejection the same reason line and processed-instruction count.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../src/elf/index.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { kernelVerdict, objectKernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { KERNEL_REJECTED_REALWORLD, realworldDir, realworldObjects, corpusObjects } from "../elf/fixtures.ts";
import { libbpfVerdict } from "../elf/libbpf-oracle.ts";
import { kernelAvailable } from "./kernel-gate.ts";

const objects = [...realworldObjects(), ...corpusObjects()].map((path) => {
  const bytes = new Uint8Array(readFileSync(path));
  return { path, bytes, object: loadObject(bytes, path) };
});
// libbpf fills a prog array's `.values = {...}` after loading, so the programs named there must load too.
const companionsOf = (object: BpfObject): string[] => (object.initialSlots ?? []).flatMap((s) => (s.target.kind === "program" ? [s.target.name] : []));
const PROCESSED = /^processed (\d+) insns/m;

describe.skipIf(!kernelAvailable)("the kernel's verdict on an object's program is libbpf's", () => {
  it("covers the realworld objects and the samples, the rejected realworld one among them", () => {
    expect(objects.length).toBeGreaterThanOrEqual(20);
    expect(objects.map((o) => basename(o.path))).toContain(KERNEL_REJECTED_REALWORLD);
  });

  it("every program: the verdict, the reason line and the instructions processed", async () => {
    const disagreements: string[] = [];
    await withKernel((k) => {
      for (const { path, bytes, object } of objects) {
        for (const program of object.programs) {
          const libbpf = libbpfVerdict(path, program.name, companionsOf(object));
          if (typeof libbpf === "string") throw new Error(libbpf);
          const ours = objectKernelVerdict(k, object, program.name, { objectBytes: bytes });
          const where = `${basename(path)} ${program.name}`;
          if (ours.accepted !== libbpf.accepted) disagreements.push(`${where}: libbpf ${libbpf.accepted ? "accepted" : "rejected"}, objectKernelVerdict ${ours.accepted ? "accepted" : `rejected (${ours.message})`}`);
          if (!libbpf.accepted && !libbpf.log.split("\n").map((l) => l.trim()).includes(ours.message)) disagreements.push(`${where}: '${ours.message}' is not in libbpf's log`);
          const libbpfProcessed = PROCESSED.exec(libbpf.log)?.[1];
          if (libbpfProcessed !== undefined && Number(libbpfProcessed) !== ours.processedInsns) disagreements.push(`${where}: libbpf's log says ${libbpfProcessed} processed, ours ${ours.processedInsns}`);
        }
      }
    });
    expect(disagreements).toEqual([]);
  });

  it("global_arg_unchecked.o: the global mix() is verified on its own and refused, where the bare program (no object BTF) is accepted", async () => {
    const path = `${realworldDir}/${KERNEL_REJECTED_REALWORLD}`;
    const { object, bytes } = objects.find((o) => o.path === path)!;
    const program = object.programs[0];
    await withKernel((k) => {
      // From global_arg_unchecked.c: mix(struct pair *p) reads p->a with p possibly NULL; bpftool prog load prints this line.
      expect(objectKernelVerdict(k, object, program.name, { objectBytes: bytes })).toMatchObject({ accepted: false, errno: "EACCES", message: "R1 invalid mem access 'mem_or_null'" });
      // Without the object's BTF every subprogram is static: mix() is verified with its caller's non-NULL stack pointer.
      expect(kernelVerdict(k, program.insns, object.maps, { license: object.license, functions: program.functions }).accepted).toBe(true);
    });
  });
});
