// Whether the verifier tests that compare with the real kernel can run here;
// a skip is announced, never silent.
import { kernelOracleAvailability } from "../../src/kernel/availability.ts";

const availability = kernelOracleAvailability();

export const kernelAvailable = availability.available;
export const kernelSkipReason = availability.available ? "" : availability.reason;

if (!availability.available) {
  console.warn(`\n*** VERIFIER KERNEL COMPARISON SKIPPED: ${availability.reason} ***\n`);
}
