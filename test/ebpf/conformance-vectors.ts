// Reads the bpf_conformance test vectors (/work/shared/conformance/bpf_conformance/*.data):
// each has a `-- asm` section in the mnemonic syntax, some a `-- raw` section
// with the expected encoding as 64-bit little-endian words.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { CONFORMANCE_DIR } from "../support/conformance-dir.ts";

export { CONFORMANCE_DIR };

export interface ConformanceVector {
  readonly name: string;
  readonly asm: string;
  // The `-- raw` words, when the vector has them.
  readonly raw?: readonly bigint[];
}

export function readConformanceVectors(): ConformanceVector[] {
  if (!existsSync(CONFORMANCE_DIR)) return [];
  return readdirSync(CONFORMANCE_DIR)
    .filter((file) => file.endsWith(".data"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(CONFORMANCE_DIR, file), "utf8");
      const sections = new Map<string, string>();
      for (const part of text.split(/^-- /m).slice(1)) {
        const newline = part.indexOf("\n");
        sections.set(part.slice(0, newline).trim(), part.slice(newline + 1));
      }
      const raw = sections.get("raw");
      return {
        name: file,
        asm: sections.get("asm") ?? "",
        raw: raw === undefined ? undefined : raw.split("\n").map((w) => w.trim()).filter(Boolean).map((w) => BigInt(w)),
      };
    });
}
