// libbpf itself (libbpf.so.1 from Debian's libbpf1, through koffi) as the
// reference our loader is checked against: what it reads from an object
// (programs, types, maps) and, after bpf_object__load, the instructions it
// handed to the kernel. Test-only; absent library or kernel support means skip.
import koffi, { type LibraryHandle } from "koffi";
import type { Insn } from "../../src/ebpf/instruction.ts";

export interface OracleMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly fd: number;
  readonly inner?: Omit<OracleMap, "fd" | "inner">;
}

export interface OracleProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly autoload: boolean;
  readonly insns: readonly Insn[];
}

export interface OracleObject {
  readonly programs: readonly OracleProgram[];
  readonly maps: readonly OracleMap[];
}

type Fn = (...args: unknown[]) => unknown;

function bindLibbpf(): Record<string, Fn> | string {
  let lib: LibraryHandle;
  try {
    lib = koffi.load("libbpf.so.1");
  } catch (failure) {
    return `libbpf.so.1 cannot be loaded (${(failure as Error).message}); install Debian's libbpf1`;
  }
  const signatures: Record<string, string> = {
    open: "void *bpf_object__open_file(const char *path, void *opts)",
    getError: "long libbpf_get_error(void *ptr)",
    load: "int bpf_object__load(void *obj)",
    close: "void bpf_object__close(void *obj)",
    nextProgram: "void *bpf_object__next_program(void *obj, void *prev)",
    programName: "const char *bpf_program__name(void *prog)",
    sectionName: "const char *bpf_program__section_name(void *prog)",
    programType: "int bpf_program__type(void *prog)",
    attachType: "int bpf_program__expected_attach_type(void *prog)",
    autoload: "bool bpf_program__autoload(void *prog)",
    insnCount: "size_t bpf_program__insn_cnt(void *prog)",
    insns: "void *bpf_program__insns(void *prog)",
    nextMap: "void *bpf_object__next_map(void *obj, void *prev)",
    mapName: "const char *bpf_map__name(void *map)",
    mapType: "int bpf_map__type(void *map)",
    keySize: "uint32_t bpf_map__key_size(void *map)",
    valueSize: "uint32_t bpf_map__value_size(void *map)",
    maxEntries: "uint32_t bpf_map__max_entries(void *map)",
    mapFlags: "uint32_t bpf_map__map_flags(void *map)",
    mapFd: "int bpf_map__fd(void *map)",
    innerMap: "void *bpf_map__inner_map(void *map)",
    silence: "void *libbpf_set_print(void *fn)",
    typeByName: "int libbpf_prog_type_by_name(const char *name, _Out_ int *prog_type, _Out_ int *attach_type)",
    findProgram: "void *bpf_object__find_program_by_name(void *obj, const char *name)",
    setAutoload: "int bpf_program__set_autoload(void *prog, bool autoload)",
    setLogBuf: "int bpf_program__set_log_buf(void *prog, void *buf, size_t size)",
    setLogLevel: "int bpf_program__set_log_level(void *prog, uint32_t level)",
  };
  const bound: Record<string, Fn> = {};
  for (const [key, signature] of Object.entries(signatures)) bound[key] = lib.func(signature) as Fn;
  bound.silence(null);
  return bound;
}

let cached: Record<string, Fn> | string | undefined;
const libbpf = (): Record<string, Fn> | string => (cached ??= bindLibbpf());

// Why the oracle cannot run here, or undefined when it can.
export function oracleUnavailable(): string | undefined {
  const bound = libbpf();
  return typeof bound === "string" ? bound : undefined;
}

const SLOT = koffi.struct("bpf_insn_slot", { code: "uint8_t", regs: "uint8_t", off: "int16_t", imm: "int32_t" });

// Opens `path` with libbpf and, when `load` is set, loads it into the kernel
// (maps and programs are freed again by bpf_object__close before returning).
export function readWithLibbpf(path: string, load: boolean): OracleObject | string {
  const lib = libbpf();
  if (typeof lib === "string") return lib;
  const obj = lib.open(path, null);
  const openError = Number(lib.getError(obj));
  if (openError !== 0) return `libbpf could not open ${path}: error ${openError}`;
  try {
    if (load) {
      const loaded = Number(lib.load(obj));
      if (loaded !== 0) return `libbpf could not load ${path} into the kernel: error ${loaded}`;
    }
    const programs: OracleProgram[] = [];
    for (let prog = lib.nextProgram(obj, null); prog !== null; prog = lib.nextProgram(obj, prog)) {
      const count = Number(lib.insnCount(prog));
      const raw = koffi.decode(lib.insns(prog), SLOT, count) as { code: number; regs: number; off: number; imm: number }[];
      programs.push({
        name: lib.programName(prog) as string,
        section: lib.sectionName(prog) as string,
        type: lib.programType(prog) as number,
        expectedAttachType: lib.attachType(prog) as number,
        autoload: lib.autoload(prog) as boolean,
        insns: raw.map((s) => ({ opcode: s.code, dst: s.regs & 0xf, src: s.regs >> 4, off: s.off, imm: s.imm })),
      });
    }
    const describe = (map: unknown) => ({
      name: lib.mapName(map) as string,
      type: lib.mapType(map) as number,
      keySize: lib.keySize(map) as number,
      valueSize: lib.valueSize(map) as number,
      maxEntries: lib.maxEntries(map) as number,
      flags: lib.mapFlags(map) as number,
    });
    const maps: OracleMap[] = [];
    for (let map = lib.nextMap(obj, null); map !== null; map = lib.nextMap(obj, map)) {
      const inner = lib.innerMap(map);
      maps.push({ ...describe(map), fd: lib.mapFd(map) as number, ...(inner !== null ? { inner: describe(inner) } : {}) });
    }
    return { programs, maps };
  } finally {
    lib.close(obj);
  }
}

// libbpf_prog_type_by_name: the program and attach type libbpf infers from a section name, or undefined.
export function libbpfTypeByName(name: string): { type: number; attachType: number } | undefined {
  const lib = libbpf();
  if (typeof lib === "string") throw new Error(lib);
  const type = [0];
  const attachType = [0];
  return lib.typeByName(name, type, attachType) === 0 ? { type: type[0], attachType: attachType[0] } : undefined;
}

export interface LibbpfVerdict {
  readonly accepted: boolean;
  readonly log: string; // the kernel verifier's log at level 1
}

const LOG_BYTES = 1 << 22;

// Has libbpf load `path` with only `program` autoloaded (its maps created, BTF and func info passed, CO-RE
// applied against the running kernel's BTF, as `bpftool prog loadall` would) and says whether the kernel
// accepted it. `companions` are loaded too: programs libbpf needs to fill a prog array's initial slots
// (it does so after loading the programs, and fails the whole load when one of them has no fd).
// A string explains why the question could not be asked.
export function libbpfVerdict(path: string, program: string, companions: readonly string[] = []): LibbpfVerdict | string {
  const lib = libbpf();
  if (typeof lib === "string") return lib;
  const obj = lib.open(path, null);
  if (Number(lib.getError(obj)) !== 0) return `libbpf could not open ${path}`;
  try {
    let target: unknown = null;
    for (let prog = lib.nextProgram(obj, null); prog !== null; prog = lib.nextProgram(obj, prog)) {
      const progName = lib.programName(prog) as string;
      const mine = progName === program;
      lib.setAutoload(prog, mine || companions.includes(progName));
      if (mine) target = prog;
    }
    if (target === null) return `${path} has no program ${program} for libbpf`;
    const buf = Buffer.alloc(LOG_BYTES);
    lib.setLogBuf(target, buf, LOG_BYTES);
    lib.setLogLevel(target, 1);
    const status = Number(lib.load(obj));
    const end = buf.indexOf(0);
    return { accepted: status === 0, log: buf.subarray(0, end < 0 ? LOG_BYTES : end).toString("utf8") };
  } finally {
    lib.close(obj);
  }
}
