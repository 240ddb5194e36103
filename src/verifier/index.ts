// The verifier's public surface: verify() and its plain-data result.
export { verify } from "./verify.ts";
export type { FunctionFacts, InsnFacts, RegFact, ScalarRange, StackSlotFact, VerifierError, VerifierResult, VerifyOptions } from "./verify.ts";
export { verifierMapsFor, verifyOptionsFor } from "./object-options.ts";
export { VerifierUnsupportedError } from "./unsupported.ts";
export type { GlobalFunction } from "./env.ts";
export { loadConflictFor, mapOwnerConflicts, rejectedAtLoad, slotCompanions, usedMaps } from "./map-owners.ts";
export type { MapOwnerConflict } from "./map-owners.ts";
