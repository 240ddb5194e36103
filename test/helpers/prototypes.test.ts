// The prototype table against the kernel's own list of helper ids, and the
// implementation table against the prototypes.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { helperImplementations } from "../../src/helpers/implementations.ts";
import { helperPrototype, helperPrototypes } from "../../src/helpers/prototypes.ts";

// The uapi header installed with the kernel headers. Its helper mapper macro lists
// FN(name) in id order from 0 (newer headers write FN(name, id, ...) explicitly).
const UAPI_HEADER = "/usr/include/linux/bpf.h";

function kernelHelperIds(): Map<string, number> {
  const text = readFileSync(UAPI_HEADER, "utf8");
  const start = text.search(/#define _+BPF_FUNC_MAPPER\(FN/);
  const mapper = text.slice(start, text.indexOf("/* */", start));
  const entries = [...mapper.matchAll(/FN\((\w+)(?:,\s*(\d+))?/g)];
  return new Map(entries.map((m, position) => [m[1], m[2] === undefined ? position : Number(m[2])]));
}

describe("helper prototypes", () => {
  it.skipIf(!existsSync(UAPI_HEADER))("use the ids of enum bpf_func_id in the installed uapi header", () => {
    const kernel = kernelHelperIds();
    expect(kernel.get("map_lookup_elem")).toBe(1);
    for (const proto of helperPrototypes) expect([proto.name, kernel.get(proto.name)]).toEqual([proto.name, proto.id]);
  });

  it("has one entry per id, with at most five arguments", () => {
    expect(new Set(helperPrototypes.map((p) => p.id)).size).toBe(helperPrototypes.length);
    for (const proto of helperPrototypes) expect(proto.args.length).toBeLessThanOrEqual(5);
  });

  it("has a prototype for every implemented helper", () => {
    for (const id of helperImplementations.keys()) expect(helperPrototype(id), `helper ${id}`).toBeDefined();
  });

  it("pairs every memory argument with a size that follows it, as the verifier expects", () => {
    for (const proto of helperPrototypes) {
      proto.args.forEach((arg, i) => {
        if (arg.type === "ARG_PTR_TO_MEM") expect(proto.args[i + 1]?.type, `${proto.name} arg ${i + 1}`).toMatch(/^ARG_CONST_SIZE/);
      });
    }
  });
});
