// bpf_conformance test vectors: the .data format and running them.
export { ConformanceFormatError, parseConformance, type ConformanceCase, type Expectation } from "./parse.ts";
export { conformanceFiles, runCase, runConformance, runConformanceFile, slotsFromRaw, type CaseOutcome, type ConformanceSummary } from "./runner.ts";
