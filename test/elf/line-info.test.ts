// .BTF.ext line info: every record of a linked program points at a line of
// the fixture's C source whose text is what clang recorded, and subprogram
// records move with the subprogram's appended copy.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/load-object.ts";
import { fixturePath, readFixture } from "./fixtures.ts";

const sourceLines = (name: string): string[] => readFileSync(fixturePath(name), "utf8").split("\n");

describe("line info from .BTF.ext", () => {
  for (const base of ["btf_maps", "global_data", "subprogs", "map_in_map", "multi_prog"]) {
    it(`${base}.o: each record names a line of ${base}.c and carries its text`, () => {
      const obj = loadObject(readFixture(`${base}.o`), `${base}.o`);
      const lines = sourceLines(`${base}.c`);
      for (const p of obj.programs) {
        const info = p.lineInfo ?? [];
        expect(info.length, p.name).toBeGreaterThan(0);
        for (const record of info.filter((r) => r.line > 0)) {
          expect(record.fileName.endsWith(`${base}.c`)).toBe(true);
          expect(record.sourceLine.trim()).toBe(lines[record.line - 1].trim());
          expect(record.pc).toBeLessThan(p.insns.length);
        }
        expect(info.map((r) => r.pc)).toEqual([...info.map((r) => r.pc)].sort((a, b) => a - b));
      }
    });
  }

  it("places a subprogram's lines at its appended copy", () => {
    const obj = loadObject(readFixture("subprogs.o"), "subprogs.o");
    const lines = sourceLines("subprogs.c");
    // A function's source span: from the line that defines it to the closing brace in column 0.
    const span = (name: string): [number, number] => {
      const open = lines.findIndex((l) => new RegExp(`\\b${name}\\(`).test(l) && !l.includes(";"));
      const close = lines.findIndex((l, i) => i > open && l === "}");
      return [open + 1, close + 1];
    };
    for (const p of obj.programs) {
      for (const f of p.functions) {
        const records = (p.lineInfo ?? []).filter((r) => r.pc >= f.startPc && r.pc < f.startPc + f.slots && r.line > 0);
        const [first, last] = span(f.name);
        expect(records[0]?.pc, `${p.name}/${f.name}`).toBe(f.startPc);
        for (const r of records) expect(r.line >= first && r.line <= last, `${p.name}/${f.name} pc ${r.pc} line ${r.line}`).toBe(true);
      }
    }
  });
});
