// Node module hooks for the lazy-loading tests, driven by the environment:
// OFFLOAD_SIM_TEST_RECORD=FILE appends the URL of every module loaded;
// OFFLOAD_SIM_TEST_BREAK=SUFFIX replaces the module whose URL ends so with
// OFFLOAD_SIM_TEST_BREAK_SOURCE (default: a module that throws when evaluated).
import { appendFileSync } from "node:fs";

export async function load(url, context, nextLoad) {
  if (process.env.OFFLOAD_SIM_TEST_RECORD && url.startsWith("file:")) appendFileSync(process.env.OFFLOAD_SIM_TEST_RECORD, `${url}\n`);
  const broken = process.env.OFFLOAD_SIM_TEST_BREAK;
  if (broken && url.endsWith(broken)) {
    const source = process.env.OFFLOAD_SIM_TEST_BREAK_SOURCE ?? 'throw new Error("broken on purpose");';
    return { format: "module", source, shortCircuit: true };
  }
  return nextLoad(url, context);
}
