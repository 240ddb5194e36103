import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// The bpf_conformance vectors live in the shared folder beside the project
// checkout (`../shared`), wherever the checkout is; /work/shared is where the
// development machines keep it.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const candidates = [resolve(repoRoot, "../shared/conformance/bpf_conformance"), "/work/shared/conformance/bpf_conformance"];

export const CONFORMANCE_DIR = candidates.find((dir) => existsSync(dir)) ?? candidates[0];
