// The sample program corpus (programs/): every C source has its committed
// object, the objects are what build.sh makes from the sources, and
// expectations.json and maps/*.json fit the objects they describe. The
// kernel check runs programs/tools/check_kernel.py, which loads every object
// with bpftool and replays every case through BPF_PROG_TEST_RUN.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../src/elf/index.ts";
import type { MapDef } from "../../src/maps/types.ts";

const programsDir = fileURLToPath(new URL("../../programs/", import.meta.url));

// enum xdp_action (include/uapi/linux/bpf.h).
const xdpActions: Readonly<Record<string, number>> = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 };
// BPF_PROG_TEST_RUN refuses XDP frames shorter than an Ethernet header.
const ETH_HLEN = 14;

interface MapEntry {
  readonly key: string;
  readonly value?: string;
  readonly valueMask?: string;
  readonly program?: string;
}
interface MapContent {
  readonly entries: readonly MapEntry[];
}
interface Case {
  readonly name: string;
  readonly packet: string;
  readonly maps?: Readonly<Record<string, MapContent>>;
  readonly expected: {
    readonly action: string;
    readonly retval: number;
    readonly packetOut: string;
    readonly maps?: Readonly<Record<string, MapContent>>;
  };
}
interface ProgramCases {
  readonly object: string;
  readonly program: string;
  readonly loadTimeMaps?: Readonly<Record<string, MapContent>>;
  readonly cases: readonly Case[];
}
interface Expectations {
  readonly programs: readonly ProgramCases[];
}

const expectations = JSON.parse(readFileSync(join(programsDir, "expectations.json"), "utf8")) as Expectations;
const sources = readdirSync(programsDir).filter((f) => f.endsWith(".c")).sort();
const objects = new Map<string, BpfObject>(
  sources.map((c) => {
    const file = c.replace(/\.c$/, ".o");
    return [file, loadObject(readFileSync(join(programsDir, file)), file)];
  }),
);

const isHex = (s: string): boolean => /^([0-9a-f]{2})*$/.test(s);
const bytesOf = (hex: string): number => hex.length / 2;

function mapOf(object: string, name: string): MapDef {
  const obj = objects.get(object.replace(/^programs\//, ""));
  const def = obj?.maps.find((m) => m.name === name);
  if (!def) throw new Error(`${object} has no map '${name}' (maps: ${obj?.maps.map((m) => m.name).join(", ")})`);
  return def;
}

function checkEntries(object: string, programs: readonly string[], name: string, content: MapContent, where: string): void {
  const def = mapOf(object, name);
  for (const e of content.entries) {
    expect(isHex(e.key), `${where}: key of ${name} is hex`).toBe(true);
    expect(bytesOf(e.key), `${where}: key size of ${name}`).toBe(def.keySize);
    if (e.program !== undefined) {
      expect(programs, `${where}: ${name} names a program of the object`).toContain(e.program);
      continue;
    }
    expect(isHex(e.value ?? ""), `${where}: value of ${name} is hex`).toBe(true);
    expect(bytesOf(e.value ?? ""), `${where}: value size of ${name}`).toBe(def.valueSize);
    if (e.valueMask !== undefined) expect(bytesOf(e.valueMask), `${where}: valueMask size of ${name}`).toBe(def.valueSize);
  }
}

// The names of the functions a C source puts in SEC("xdp"), read from the source text.
function xdpFunctionsIn(source: string): string[] {
  return [...source.matchAll(/SEC\("xdp"\)\s*\n\s*int\s+(\w+)\s*\(/g)].map((m) => m[1]).sort();
}

describe("the sample program corpus", () => {
  it("has at least 12 programs, each with a committed object holding the XDP functions of its source", () => {
    expect(sources.length).toBeGreaterThanOrEqual(12);
    for (const c of sources) {
      const source = readFileSync(join(programsDir, c), "utf8");
      const obj = objects.get(c.replace(/\.c$/, ".o"))!;
      expect(obj.programs.map((p) => p.name).sort(), c).toEqual(xdpFunctionsIn(source));
      expect(obj.programs.every((p) => p.type === "xdp"), c).toBe(true);
      expect(obj.license, c).toBe("GPL");
    }
  });

  it("has expectations for every XDP function of every object", () => {
    const covered = new Set(expectations.programs.map((p) => `${p.object}:${p.program}`));
    for (const [file, obj] of objects) {
      for (const p of obj.programs) expect(covered.has(`programs/${file}:${p.name}`), `${file}:${p.name}`).toBe(true);
    }
  });

  it("states each case's packets in hex, with a return value that is the named XDP action", () => {
    for (const p of expectations.programs) {
      expect(existsSync(join(programsDir, "..", p.object)), p.object).toBe(true);
      expect(p.cases.length, p.program).toBeGreaterThanOrEqual(2);
      for (const c of p.cases) {
        const where = `${p.program}: ${c.name}`;
        expect(isHex(c.packet) && bytesOf(c.packet) >= ETH_HLEN, `${where}: packet`).toBe(true);
        expect(isHex(c.expected.packetOut), `${where}: packetOut`).toBe(true);
        expect(xdpActions[c.expected.action], `${where}: action`).toBe(c.expected.retval);
      }
    }
  });

  it("names only maps the object declares, with keys and values of the declared sizes", () => {
    for (const p of expectations.programs) {
      const programs = objects.get(p.object.replace(/^programs\//, ""))!.programs.map((q) => q.name);
      for (const [name, content] of Object.entries(p.loadTimeMaps ?? {})) checkEntries(p.object, programs, name, content, `${p.program} loadTimeMaps`);
      for (const c of p.cases) {
        for (const [name, content] of Object.entries(c.maps ?? {})) checkEntries(p.object, programs, name, content, `${p.program}: ${c.name}`);
        for (const [name, content] of Object.entries(c.expected.maps ?? {})) checkEntries(p.object, programs, name, content, `${p.program}: ${c.name} (expected)`);
      }
    }
  });

  it("has map files (maps/<object>.<map>.json) that fit their maps", () => {
    const files = readdirSync(join(programsDir, "maps")).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const [object, name] = f.replace(/\.json$/, "").split(".");
      const obj = objects.get(`${object}.o`);
      expect(obj, f).toBeDefined();
      const content = JSON.parse(readFileSync(join(programsDir, "maps", f), "utf8")) as MapContent;
      checkEntries(`programs/${object}.o`, obj!.programs.map((p) => p.name), name, content, f);
    }
  });
});

// The clang that built the committed objects, from the DWARF producer string.
function producerOf(objectBytes: Uint8Array): string | undefined {
  const text = Buffer.from(objectBytes).toString("latin1");
  return /[^\0]*clang version [^\0]*/.exec(text)?.[0];
}

function rebuildSkipReason(): string | undefined {
  const clang = spawnSync("clang", ["--version"], { encoding: "utf8" });
  if (clang.status !== 0) return "clang is not installed (apt-get install clang libbpf-dev)";
  if (!existsSync("/usr/include/bpf/bpf_helpers.h")) return "the libbpf headers are missing (apt-get install libbpf-dev)";
  const installed = clang.stdout.split("\n")[0].trim();
  const committed = producerOf(readFileSync(join(programsDir, "xdp_pass.o")));
  if (committed === undefined || !installed.startsWith(committed.split(" (")[0])) {
    return `the objects were built by '${committed}', this machine has '${installed}'`;
  }
  return undefined;
}

const rebuildSkip = rebuildSkipReason();
if (rebuildSkip !== undefined) console.warn(`\n*** PROGRAM REBUILD CHECK SKIPPED: ${rebuildSkip} ***\n`);

describe.skipIf(rebuildSkip !== undefined)("the committed objects", () => {
  it("are byte for byte what programs/build.sh makes from the sources", () => {
    const outDir = mkdtempSync(join(tmpdir(), "osim-programs-"));
    try {
      const build = spawnSync("bash", [join(programsDir, "build.sh")], { encoding: "utf8", env: { ...process.env, PROGRAMS_OUT_DIR: outDir } });
      expect(build.status, build.stderr).toBe(0);
      const stale = sources
        .map((c) => c.replace(/\.c$/, ".o"))
        .filter((o) => !Buffer.from(readFileSync(join(outDir, o))).equals(readFileSync(join(programsDir, o))));
      expect(stale, "objects that differ from a fresh build: run npm run build:programs and commit").toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

function kernelCheckSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "not root (BPF_PROG_TEST_RUN and network namespaces need it)";
  for (const [tool, args] of [["bpftool", ["version"]], ["python3", ["--version"]], ["ip", ["-V"]], ["nsenter", ["--version"]]] as const) {
    if (spawnSync(tool, [...args]).status !== 0) return `${tool} is not available`;
  }
  return undefined;
}

const kernelSkip = kernelCheckSkipReason();
if (kernelSkip !== undefined) console.warn(`\n*** PROGRAM KERNEL CHECK SKIPPED: ${kernelSkip} ***\n`);

describe.skipIf(kernelSkip !== undefined)("the kernel", () => {
  it("accepts every object and agrees with every case of expectations.json", () => {
    const check = spawnSync("python3", [join(programsDir, "tools", "check_kernel.py")], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toMatch(/(\d+) of \1 cases agree with the kernel; 0 map file problems/);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});
