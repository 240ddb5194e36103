// The reference behaviour of every helper the simulator implements, by id.
// Ids come from the prototype table; a prototype without an entry here is a
// helper the kernel knows but the simulator does not run (calling it faults).
import { getCurrentPidTgid, getNumaNodeId, getPrandomU32, getSmpProcessorId, jiffies64, ktimeGetBootNs, ktimeGetCoarseNs, ktimeGetNs, ktimeGetTaiNs } from "./basic-helpers.ts";
import { forEachMapElem, loop } from "./callback-helpers.ts";
import { csumDiff } from "./csum.ts";
import { perfEventOutput, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufReserve, ringbufSubmit } from "./event-helpers.ts";
import { fibLookup } from "./fib.ts";
import {
  mapDeleteElem,
  mapLookupElem,
  mapLookupPercpuElem,
  mapPeekElem,
  mapPopElem,
  mapPushElem,
  mapUpdateElem,
} from "./map-helpers.ts";
import { tracePrintk } from "./printk.ts";
import { spinLock, spinUnlock } from "./lock-helpers.ts";
import { checkMtu } from "./mtu.ts";
import { probeReadKernel, probeReadKernelStr } from "./probe-read.ts";
import { snprintf } from "./snprintf.ts";
import { strncmp } from "./string-helpers.ts";
import { strtol, strtoul } from "./strtox.ts";
import { DEFAULT_SYNCOOKIE_SECRET, syncookieHelpers } from "./syncookie.ts";
import { HelperId } from "./prototypes.ts";
import { redirect, redirectMap } from "./redirect.ts";
import type { HelperImplementation } from "./runtime.ts";
import { tailCall } from "./tail-call.ts";
import { xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen, xdpLoadBytes, xdpStoreBytes } from "./xdp-helpers.ts";

export type HelperTable = ReadonlyMap<number, HelperImplementation>;

export const helperImplementations: HelperTable = new Map<number, HelperImplementation>([
  [HelperId.MAP_LOOKUP_ELEM, mapLookupElem],
  [HelperId.MAP_UPDATE_ELEM, mapUpdateElem],
  [HelperId.MAP_DELETE_ELEM, mapDeleteElem],
  [HelperId.MAP_PUSH_ELEM, mapPushElem],
  [HelperId.MAP_POP_ELEM, mapPopElem],
  [HelperId.MAP_PEEK_ELEM, mapPeekElem],
  [HelperId.MAP_LOOKUP_PERCPU_ELEM, mapLookupPercpuElem],
  [HelperId.KTIME_GET_NS, ktimeGetNs],
  [HelperId.KTIME_GET_TAI_NS, ktimeGetTaiNs],
  [HelperId.GET_CURRENT_PID_TGID, getCurrentPidTgid],
  [HelperId.STRTOL, strtol],
  [HelperId.STRTOUL, strtoul],
  [HelperId.KTIME_GET_BOOT_NS, ktimeGetBootNs],
  [HelperId.GET_PRANDOM_U32, getPrandomU32],
  [HelperId.GET_SMP_PROCESSOR_ID, getSmpProcessorId],
  [HelperId.GET_NUMA_NODE_ID, getNumaNodeId],
  [HelperId.TAIL_CALL, tailCall],
  [HelperId.TRACE_PRINTK, tracePrintk],
  [HelperId.REDIRECT, redirect],
  [HelperId.REDIRECT_MAP, redirectMap],
  [HelperId.PERF_EVENT_OUTPUT, perfEventOutput],
  [HelperId.CSUM_DIFF, csumDiff],
  [HelperId.XDP_ADJUST_HEAD, xdpAdjustHead],
  [HelperId.XDP_ADJUST_TAIL, xdpAdjustTail],
  [HelperId.XDP_ADJUST_META, xdpAdjustMeta],
  [HelperId.XDP_GET_BUFF_LEN, xdpGetBuffLen],
  [HelperId.XDP_LOAD_BYTES, xdpLoadBytes],
  [HelperId.XDP_STORE_BYTES, xdpStoreBytes],
  [HelperId.FIB_LOOKUP, fibLookup],
  [HelperId.RINGBUF_OUTPUT, ringbufOutput],
  [HelperId.RINGBUF_RESERVE, ringbufReserve],
  [HelperId.RINGBUF_SUBMIT, ringbufSubmit],
  [HelperId.RINGBUF_DISCARD, ringbufDiscard],
  [HelperId.RINGBUF_QUERY, ringbufQuery],
  [HelperId.LOOP, loop],
  [HelperId.FOR_EACH_MAP_ELEM, forEachMapElem],
  [HelperId.PROBE_READ_KERNEL, probeReadKernel],
  [HelperId.PROBE_READ_KERNEL_STR, probeReadKernelStr],
  [HelperId.JIFFIES64, jiffies64],
  [HelperId.KTIME_GET_COARSE_NS, ktimeGetCoarseNs],
  [HelperId.SPIN_LOCK, spinLock],
  [HelperId.SPIN_UNLOCK, spinUnlock],
  [HelperId.STRNCMP, strncmp],
  [HelperId.SNPRINTF, snprintf],
  [HelperId.CHECK_MTU, checkMtu],
  ...syncookieHelpers(DEFAULT_SYNCOOKIE_SECRET),
]);
