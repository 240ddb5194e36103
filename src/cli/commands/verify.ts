// `offload-sim verify prog.o [--prog NAME] [--log-level 1|2] [--json]`: the
// static verifier's verdict on each XDP program of an object (or on an
// assembly file), in the kernel's words. Exit 0 when every program is
// accepted, 1 when one is rejected, 2 for bad input.
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { assemble } from "../../ebpf/index.ts";
import { loadObject } from "../../elf/index.ts";
import { OffloadSimError } from "../../errors.ts";
import type { MapDef } from "../../maps/types.ts";
import type { Program } from "../../ebpf/instruction.ts";
import { verify } from "../../verifier/index.ts";
import { formatVerdict, verdictJson } from "../../verifier/report.ts";

interface VerifyArgs {
  object: string;
  prog?: string;
  "log-level": number;
  json: boolean;
}

interface Target {
  readonly name: string;
  readonly program: Program;
  readonly maps: readonly MapDef[];
  readonly license: string;
  readonly attach: "xdp" | "xdp_devmap" | "xdp_cpumap";
  readonly btfFuncInfo: boolean;
}

export class VerifyInputError extends OffloadSimError {}

function targets(path: string, prog: string | undefined): Target[] {
  const bytes = new Uint8Array(readFileSync(path));
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf) {
    if (!/\.(s|S|asm)$/.test(path)) throw new VerifyInputError(`${path}: expected an eBPF ELF object or an assembly file (.s).`, { file: path });
    return [{ name: path, program: assemble(new TextDecoder().decode(bytes), { sourceName: path }), maps: [], license: "GPL", attach: "xdp", btfFuncInfo: false }];
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
    maps: object.maps,
    license: object.license,
    attach: p.expectedAttachType === "xdp_devmap" || p.expectedAttachType === "xdp_cpumap" ? p.expectedAttachType : "xdp",
    // libbpf passes the object's BTF func info when it has some.
    btfFuncInfo: (object.btf?.funcInfoCount ?? 0) > 0,
  }));
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: "verify <object>",
  describe: "Check XDP programs the way the kernel verifier does, and say why a program would be rejected",
  builder: (yargs) =>
    yargs
      .positional("object", { type: "string", demandOption: true, describe: "eBPF ELF object (clang -target bpf) or LLVM-syntax assembly (.s)" })
      .option("prog", { type: "string", describe: "Verify only the program with this name" })
      .option("log-level", { type: "number", default: 0, choices: [0, 1, 2], describe: "Also print the kernel-style log: 1 = the failing path, 2 = every instruction with its register state" })
      .option("json", { type: "boolean", default: false, describe: "Print the verdicts and per-instruction facts as JSON" }),
  handler: (args) => {
    const logLevel = args["log-level"] as 0 | 1 | 2;
    const results = targets(args.object, args.prog).map((t) => ({ name: t.name, result: verify(t.program, t.maps, { license: t.license, logLevel, expectedAttachType: t.attach, btfFuncInfo: t.btfFuncInfo }) }));
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ file: args.object, programs: results.map((r) => verdictJson(r.name, r.result, logLevel > 0)) }, null, 2)}\n`);
    } else {
      for (const r of results) process.stdout.write(formatVerdict(r.name, r.result, logLevel));
    }
    process.exitCode = results.every((r) => r.result.accepted) ? 0 : 1;
  },
};
