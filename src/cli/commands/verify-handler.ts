// What `offload-sim verify` does, loaded only when the command runs (see verify.ts for its options).
import { assemble } from "../../ebpf/index.ts";
import { loadObject } from "../../elf/index.ts";
import { OffloadSimError } from "../../errors.ts";
import type { MapDef } from "../../maps/types.ts";
import type { Program } from "../../ebpf/instruction.ts";
import { loadConflictFor, rejectedAtLoad, verifierMapsFor, verify, verifyOptionsFor, VerifierUnsupportedError, type VerifyOptions } from "../../verifier/index.ts";
import type { BpfObject } from "../../elf/index.ts";
import { formatVerdict, verdictJson } from "../../verifier/report.ts";
import type { VerifyArgs } from "./verify.ts";
import { readInputBytes } from "../../input-file.ts";

interface Target {
  readonly name: string;
  readonly program: Program;
  readonly maps: readonly MapDef[];
  readonly options: VerifyOptions;
  // The object an ELF target comes from: the map owners its programs' loads set depend on all of them.
  readonly object?: BpfObject;
}

export class VerifyInputError extends OffloadSimError {}

function targets(path: string, prog: string | undefined): Target[] {
  const bytes = readInputBytes(path);
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf) {
    if (!/\.(s|S|asm)$/.test(path)) throw new VerifyInputError(`${path}: expected an eBPF ELF object or an assembly file (.s).`, { file: path });
    return [{ name: path, program: assemble(new TextDecoder().decode(bytes), { sourceName: path }), maps: [], options: { license: "GPL", expectedAttachType: "xdp" } }];
  }
  const object = loadObject(bytes, path);
  const chosen = prog === undefined ? object.programs.filter((p) => p.type === "xdp") : object.programs.filter((p) => p.name === prog);
  if (chosen.length === 0) {
    const names = object.programs.map((p) => `${p.name} (${p.type})`).join(", ");
    throw new VerifyInputError(prog === undefined ? `${path} holds no XDP programs (it has: ${names || "none"}).` : `${path} has no program '${prog}' (it has: ${object.programs.map((p) => p.name).join(", ")}).`, { file: path });
  }
  const notXdp = chosen.find((p) => p.type !== "xdp");
  if (notXdp !== undefined) throw new VerifyInputError(`${path}: '${notXdp.name}' is a ${notXdp.type} program; the verifier checks XDP programs only.`, { file: path });
  return chosen.map((p) => ({
    name: p.name,
    program: p.insns,
    maps: verifierMapsFor(object),
    options: verifyOptionsFor(object, p),
    object,
  }));
}

// The verify command once its arguments are parsed.
export function verifyHandler(args: VerifyArgs): void {
  const logLevel = args["log-level"] as 0 | 1 | 2;
  const chosen = targets(args.object, args.prog);
  const verified = chosen.map((t) => ({ name: t.name, result: verifyOrExplain(args.object, t, logLevel) }));
  // Programs the verifier accepts may still fail to load: maps of programs tie them to their first user.
  const loadable = verified.filter((r) => r.result.accepted).map((r) => r.name);
  const results = verified.map((r, i) => {
    const object = chosen[i].object;
    const conflict = object !== undefined && r.result.accepted ? loadConflictFor(object, r.name, loadable) : undefined;
    return conflict === undefined ? r : { name: r.name, result: rejectedAtLoad(r.result, conflict) };
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ file: args.object, programs: results.map((r) => verdictJson(r.name, r.result, logLevel > 0)) }, null, 2)}\n`);
  } else {
    for (const r of results) process.stdout.write(formatVerdict(r.name, r.result, logLevel));
  }
  process.exitCode = results.every((r) => r.result.accepted) ? 0 : 1;
}

// A construct the verifier does not model is bad input for this tool, named with the file (exit 2).
function verifyOrExplain(path: string, t: Target, logLevel: 0 | 1 | 2) {
  try {
    return verify(t.program, t.maps, { ...t.options, logLevel });
  } catch (failure) {
    if (failure instanceof VerifierUnsupportedError) throw new VerifyInputError(`${path}: ${failure.message}.`, { file: path, pc: failure.pc });
    throw failure;
  }
}
