// fast-check as the tests import it when FC_SCALE is set (vitest.config.ts
// aliases "fast-check" here): every fc.assert runs FC_SCALE times its
// numRuns, and FC_FORCE_SEED replaces the seeds of fixed-seed properties.
// For hunting rare failures on fresh seeds before CI's seed finds them.
import * as real from "../../node_modules/fast-check/lib/fast-check.js";
export * from "../../node_modules/fast-check/lib/fast-check.js";

const scale = Number(process.env.FC_SCALE ?? 1);
const forcedSeed = process.env.FC_FORCE_SEED;

export function assert(property, params) {
  const numRuns = Math.ceil((params?.numRuns ?? 100) * scale);
  return real.assert(property, { ...params, numRuns, ...(forcedSeed === undefined ? {} : { seed: Number(forcedSeed) }) });
}

export default { ...real, assert };
