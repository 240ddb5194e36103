// The offload compiler's public surface (docs/offload.md).
export { checkCapabilities, type Blocker, type CapabilityReport, type MapCapability } from "./capability.ts";
export { rules as capabilityRules, type RuleId, type RuleInfo } from "./capability-rules.ts";
export { planOffload, generate, legalStageStarts, type OffloadPlan, type PlanOptions, type PlanStage, type HostPart, type Bound } from "./plan.ts";
export type { NicImage, NicStage, HostExit, ExitRegister, RegisterKind, WordLocation } from "./nic-image.ts";
export type { MapPlacement } from "./placement.ts";
export { NicRunner, runNicFunctional, type NicRunOptions, type NicRunResult, type NicFault } from "./runner.ts";
export { hostStart, type Handoff, type HostStart } from "./host-resume.ts";
export { planAndGenerateForRun, hwImageOf, hostStageOf, type RunOffload, type RunOffloadRequest } from "./for-run.ts";
export { explainPlan, type ExplainedStage, type ExplainRow } from "./explain.ts";
export { formatCapabilityReport, formatPlan, formatExplain, planJson, withSourceText } from "./format.ts";
export { factsFromVerifier } from "./verifier-facts.ts";
export type { VerifierFacts } from "./analysis.ts";
export type { OffloadSource } from "./source.ts";
export { OffloadError } from "./errors.ts";
