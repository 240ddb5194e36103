// Every byte offset the binding writes into union bpf_attr (and the structs
// bpf() fills) must equal offsetof() in the installed <linux/bpf.h>, as the C
// compiler computes it. Fields newer than the installed header are reported.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layoutsByCType } from "../../src/kernel/attr-layout.ts";

// How each table's fields are named in C: the type and the member prefix.
const cNames: Readonly<Record<keyof typeof layoutsByCType, { type: string; prefix: string }>> = {
  "union bpf_attr/map_create": { type: "union bpf_attr", prefix: "" },
  "union bpf_attr/map_elem": { type: "union bpf_attr", prefix: "" },
  "union bpf_attr/prog_load": { type: "union bpf_attr", prefix: "" },
  "union bpf_attr/test": { type: "union bpf_attr", prefix: "test." },
  "union bpf_attr/info": { type: "union bpf_attr", prefix: "info." },
  "union bpf_attr/btf_load": { type: "union bpf_attr", prefix: "" },
  "struct bpf_prog_info": { type: "struct bpf_prog_info", prefix: "" },
  "struct bpf_map_info": { type: "struct bpf_map_info", prefix: "" },
  "struct xdp_md": { type: "struct xdp_md", prefix: "" },
  "struct bpf_func_info": { type: "struct bpf_func_info", prefix: "" },
  "struct bpf_line_info": { type: "struct bpf_line_info", prefix: "" },
};
// Entries that are not member offsets.
const notMembers = new Set(["size", "tagBytes"]);
// Structs whose `size` is the whole C struct (the others are offsetofend of the last field we fill).
const wholeStructs = new Set(["struct xdp_md", "struct bpf_func_info", "struct bpf_line_info"]);

function compilerAvailable(): string | undefined {
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
    execFileSync("cc", ["-E", "-x", "c", "-"], { input: "#include <linux/bpf.h>\n", stdio: ["pipe", "ignore", "ignore"] });
    return undefined;
  } catch {
    return "no C compiler (cc) with <linux/bpf.h> to compute offsetof()";
  }
}

const skipReason = compilerAvailable();
if (skipReason !== undefined) console.warn(`\n*** ATTR LAYOUT TEST SKIPPED: ${skipReason} ***\n`);

describe.skipIf(skipReason !== undefined)("bpf_attr layouts against offsetof() in <linux/bpf.h>", () => {
  it("places every field where the C compiler does", () => {
    const header = execFileSync("cc", ["-E", "-P", "-x", "c", "-"], { input: "#include <linux/bpf.h>\n", encoding: "utf8" });
    const known = (member: string): boolean => new RegExp(`\\b${member.split(".").at(-1)}\\s*(;|\\[)`).test(header);
    const probes: { name: string; expr: string; ours: number }[] = [];
    const missing: string[] = [];
    for (const [table, layout] of Object.entries(layoutsByCType) as [keyof typeof layoutsByCType, Record<string, number>][]) {
      const { type, prefix } = cNames[table];
      for (const [field, offset] of Object.entries(layout)) {
        if (notMembers.has(field)) continue;
        if (!known(field)) {
          missing.push(`${table}.${field}`);
          continue;
        }
        probes.push({ name: `${table}.${field}`, expr: `offsetof(${type}, ${prefix}${field})`, ours: offset });
      }
      if (wholeStructs.has(table)) probes.push({ name: `${table} size`, expr: `sizeof(${type})`, ours: layout.size });
    }
    probes.push({ name: "bpf_prog_info.tag bytes", expr: "sizeof(((struct bpf_prog_info *)0)->tag)", ours: layoutsByCType["struct bpf_prog_info"].tagBytes });
    const source = [
      "#include <stdio.h>",
      "#include <stddef.h>",
      "#include <linux/bpf.h>",
      "int main(void) {",
      ...probes.map((p) => `  printf("%zu\\n", (size_t)(${p.expr}));`),
      "  return 0;",
      "}",
    ].join("\n");
    const dir = mkdtempSync(join(tmpdir(), "offload-sim-layout-"));
    try {
      writeFileSync(join(dir, "layout.c"), source);
      execFileSync("cc", ["-o", join(dir, "layout"), join(dir, "layout.c")]);
      const theirs = execFileSync(join(dir, "layout"), { encoding: "utf8" }).trim().split("\n").map(Number);
      const mismatches = probes.flatMap((p, i) => (p.ours === theirs[i] ? [] : [`${p.name}: ours ${p.ours}, C ${theirs[i]}`]));
      expect(mismatches).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (missing.length > 0) console.warn(`fields newer than the installed <linux/bpf.h>, not checked: ${missing.join(", ")}`);
    expect(probes.length).toBeGreaterThan(60);
  });

  it("makes each attr long enough for every field it fills", () => {
    for (const [table, layout] of Object.entries(layoutsByCType)) {
      if (wholeStructs.has(table) || !table.startsWith("union")) continue;
      const fields = Object.entries(layout).filter(([name]) => !notMembers.has(name));
      const lastOffset = Math.max(...fields.map(([, offset]) => offset));
      expect(layout.size, table).toBeGreaterThanOrEqual(lastOffset + 4);
    }
  });
});
