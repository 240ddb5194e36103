// Replays one property-test failure from CI: FC_SEED and FC_PATH are the
// `seed` and `path` fast-check printed with the counterexample.
import fc from "fast-check";

const seed = process.env.FC_SEED;
if (seed !== undefined) {
  const path = process.env.FC_PATH;
  fc.configureGlobal({ seed: Number(seed), ...(path === undefined ? {} : { path, endOnFailure: true }) });
}
