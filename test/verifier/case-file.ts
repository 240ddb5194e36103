// Hand-written verifier cases: an LLVM-syntax assembly file whose header
// comment states the expected verdict, the kernel's message for a rejection,
// the maps the program uses (in index order) and the license.
//   # expect: accept | reject
//   # message: R0 !read_ok
//   # map: NAME TYPE key=N value=N entries=N [flags=N] [frozen] [init=HEX]
//   # license: Proprietary
//   # flags: strict-alignment
//   # btf: func-info
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../../src/ebpf/asm.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { type MapDef, MapType } from "../../src/maps/types.ts";

export interface VerifierCase {
  readonly file: string;
  readonly expect: "accept" | "reject";
  readonly message?: string;
  readonly why: string;
  readonly license: string;
  // `# flags: strict-alignment` loads with BPF_F_STRICT_ALIGNMENT.
  readonly strictAlignment: boolean;
  // `# btf: func-info` loads with BTF func info naming each function (as libbpf does for objects with BTF).
  readonly btfFuncInfo: boolean;
  readonly maps: readonly MapDef[];
  readonly program: Program;
  readonly source: string;
}

export const casesDir = join(import.meta.dirname, "cases");

function header(source: string, key: string): string[] {
  const re = new RegExp(`^#\\s*${key}:\\s*(.*)$`, "gm");
  return [...source.matchAll(re)].map((m) => m[1].trim());
}

function parseMap(spec: string, file: string): MapDef {
  const [name, typeName, ...rest] = spec.split(/\s+/);
  const type = (MapType as Record<string, number>)[typeName.toUpperCase()];
  if (type === undefined) throw new Error(`${file}: unknown map type ${typeName}`);
  const field = (key: string): number | undefined => {
    const found = rest.find((r) => r.startsWith(`${key}=`));
    return found === undefined ? undefined : Number(found.slice(key.length + 1));
  };
  const init = rest.find((r) => r.startsWith("init="));
  return {
    name,
    type,
    keySize: field("key") ?? 4,
    valueSize: field("value") ?? 8,
    maxEntries: field("entries") ?? 1,
    flags: field("flags") ?? 0,
    ...(rest.includes("frozen") ? { frozen: true } : {}),
    ...(init !== undefined ? { initialValue: Uint8Array.from(init.slice(5).match(/../g)!.map((h) => parseInt(h, 16))) } : {}),
  };
}

export function loadCase(file: string): VerifierCase {
  const source = readFileSync(join(casesDir, file), "utf8");
  const expect = header(source, "expect")[0];
  if (expect !== "accept" && expect !== "reject") throw new Error(`${file}: header needs '; expect: accept|reject'`);
  const message = header(source, "message")[0];
  return {
    file,
    expect,
    ...(message !== undefined ? { message } : {}),
    why: header(source, "why")[0] ?? "",
    license: header(source, "license")[0] ?? "GPL",
    strictAlignment: header(source, "flags").some((f) => f.includes("strict-alignment")),
    btfFuncInfo: header(source, "btf").some((f) => f.includes("func-info")),
    maps: header(source, "map").map((m) => parseMap(m, file)),
    program: assemble(source, { sourceName: file }),
    source,
  };
}

export const caseFiles = (): string[] => readdirSync(casesDir).filter((f) => f.endsWith(".s")).sort();
