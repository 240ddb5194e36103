// Whether the tests that need the real kernel can run here, decided once per
// test file. A skip is never silent: the reason is printed as a warning.
import { kernelOracleAvailability } from "../../src/kernel/availability.ts";

const availability = kernelOracleAvailability();

export const kernelAvailable = availability.available;

if (!availability.available) {
  console.warn(`\n*** KERNEL TESTS SKIPPED: ${availability.reason} ***\n`);
}
