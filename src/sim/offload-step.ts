// The offload step of a run: the offload compiler's plan for the cores asked
// (guided by a profile of the first packets and the verifier's facts), its NIC
// image, and for a partly offloadable program the host stage that runs the
// rest (src/offload/for-run.ts). A compiler refusal becomes the run's "no".
import { OffloadError } from "../offload/errors.ts";
import { planAndGenerateForRun } from "../offload/for-run.ts";
import { SimInputError } from "./errors.ts";
import type { OffloadRequest, PlannedOffload } from "./run.ts";

// Nothing of the program can run on the NIC, or the plan cannot be built: a "no" verdict, not bad input.
export class NotOffloadableError extends SimInputError {}

export function planAndGenerate(request: OffloadRequest): PlannedOffload {
  const { object } = request;
  try {
    return planAndGenerateForRun(request);
  } catch (error) {
    if (error instanceof OffloadError) throw new NotOffloadableError(`${object.fileName}: ${error.message}`, error.position);
    throw error;
  }
}
