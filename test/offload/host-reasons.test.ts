// The host part's reasons read as one sentence per exit when joined: no
// reason keeps its own closing period ("...map values.; pc 62: ..." and
// "...map values. (host work behind the exit at pc 34)" were printed by
// `partition --explain` on realworld3's dns_guard.o gtpu_decap).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { planOffload } from "../../src/offload/plan.ts";
import { preset } from "./corpus.ts";

it("host-part reasons carry no closing period of their own", () => {
  const file = "dns_guard.o";
  const object = loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, "../fixtures/realworld3", file))), file);
  const program = object.programs.find((p) => p.name === "gtpu_decap")!;
  const plan = planOffload(program.insns, object.maps, preset(), { cores: 8 });
  const reasons = plan.host?.exits.flatMap((e) => e.reasons) ?? [];
  // The source: pc 38 stores into guard_counters' value, behind the exit at pc 34 (dns_guard.c count()).
  expect(reasons).toContain("pc 38: it stores into a value of map 'guard_counters', and the card does not allow writes to map values (host work behind the exit at pc 34)");
  for (const reason of reasons) expect(reason, reason).not.toMatch(/\.$|\. \(/);
});
