// Helpers: the prototype table (what each helper takes and returns) and the
// reference implementations the interpreter calls.
export * from "./prototypes.ts";
export { helperImplementations, type HelperTable } from "./implementations.ts";
export {
  DEFAULT_CLOCK,
  seededRandom,
  type HelperCall,
  type HelperImplementation,
  type HelperMachine,
  type HelperOutcome,
  type RandomSource,
  type RunEvent,
  type SimClock,
  type XdpRedirect,
} from "./runtime.ts";
export { FibResult, RouteTableError, parseRouteTable, type RouteTable } from "./fib.ts";
export { csumDiffValue } from "./csum.ts";
export { MAX_TAIL_CALL_CNT } from "./tail-call.ts";
