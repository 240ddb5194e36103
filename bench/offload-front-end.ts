// The offload compiler's front end on one program: IR, the abstract
// interpretation with the real verifier's facts met in, liveness and the stack
// layout (src/offload/front-end.ts), which offload-check, partition, run and
// equiv all start with. The verifier's own run is not timed.
//
//   node bin/run-ts.js bench/offload-front-end.ts [OBJECT] [--prog NAME] [--rounds N] [--base DIR]
//
// OBJECT defaults to test/fixtures/realworld/big_parser.o (2,721 instructions the verifier walks 297,748 times).
// --base DIR  also times another copy of the tree (DIR/src, e.g. `git worktree add DIR <commit>` with
//             DIR/node_modules linked to this checkout's), round for round alternating with this one, and
//             prints base/current. CPU time of this process; the minimum of the rounds is the figure least
//             disturbed by the machine's other work.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
const objectPath = positional[0] ?? "test/fixtures/realworld/big_parser.o";
const programName = option("--prog");
const rounds = Number(option("--rounds") ?? 5);
const baseDir = option("--base");

interface Tree {
  readonly name: string;
  // One front end of the program; returns CPU ms.
  run(): number;
  readonly instructions: number;
}

async function treeAt(dir: string, name: string): Promise<Tree> {
  const at = (path: string) => import(pathToFileURL(resolve(dir, path)).href);
  const { loadObject } = await at("src/elf/index.ts");
  const { frontEnd } = await at("src/offload/front-end.ts");
  const { verifiedFacts } = await at("src/offload/verified.ts");
  const object = loadObject(new Uint8Array(readFileSync(objectPath)), objectPath);
  const program = programName === undefined ? object.programs[0] : object.programs.find((p: { name: string }) => p.name === programName);
  if (!program) throw new Error(`${objectPath} has no program '${programName}'`);
  const facts = verifiedFacts(object, program);
  return {
    name,
    instructions: program.insns.length,
    run(): number {
      const start = process.cpuUsage();
      frontEnd({ insns: program.insns }, object.maps, facts);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    },
  };
}

const trees: Tree[] = [await treeAt(".", "current")];
if (baseDir !== undefined) trees.unshift(await treeAt(baseDir, "base"));
trees.forEach((t) => t.run());
const best = trees.map(() => Infinity);
for (let r = 0; r < rounds; r++) trees.forEach((t, i) => (best[i] = Math.min(best[i], t.run())));

process.stdout.write(`${objectPath}${programName ? ` ${programName}` : ""}: offload front end of ${trees[trees.length - 1].instructions.toLocaleString("en-US")} instruction slots, best of ${rounds} rounds (CPU ms)\n`);
trees.forEach((t, i) => process.stdout.write(`  ${t.name.padEnd(8)} ${best[i].toFixed(0)} ms\n`));
if (trees.length === 2) process.stdout.write(`  base/current: ${(best[0] / best[1]).toFixed(2)}x\n`);
