// Every bpf_conformance vector: assemble its program, disassemble it in each
// syntax, reassemble, and get the identical bytes back.
import { describe, expect, it } from "vitest";
import { assemble, decodeProgram, disassemble, encodeProgram } from "../../src/ebpf/index.ts";
import { CONFORMANCE_DIR, readConformanceVectors } from "./conformance-vectors.ts";

const vectors = readConformanceVectors();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe.skipIf(vectors.length === 0)(`conformance vectors in ${CONFORMANCE_DIR}`, () => {
  it.each(["llvm", "mnemonic"] as const)("round-trip through the %s syntax to identical bytes", (syntax) => {
    for (const vector of vectors) {
      const bytes = encodeProgram(assemble(vector.asm, { sourceName: vector.name }));
      const text = disassemble(decodeProgram(bytes), { syntax });
      expect(hex(encodeProgram(assemble(text))), `${vector.name}:\n${text}`).toBe(hex(bytes));
    }
  });
});
