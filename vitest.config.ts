import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// FC_SCALE=k: every property test runs k times its runs (test/setup/fast-check-scaled.mjs).
const scaled = process.env.FC_SCALE === undefined ? {} : { resolve: { alias: [{ find: /^fast-check$/, replacement: fileURLToPath(new URL("test/setup/fast-check-scaled.mjs", import.meta.url)) }] } };

export default defineConfig({
  ...scaled,
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default"],
    setupFiles: ["test/setup/fast-check-replay.ts"],
  },
});
