// Frame sizes of generated traffic. A size is the Ethernet frame's length on
// the wire from destination MAC through FCS (64 is the minimum frame), the
// convention of RFC 2544's frame sizes; the captured frame is 4 bytes shorter (no FCS).
import type { Prng } from "./prng.ts";
import { MIN_FRAME_BYTES } from "./wire-time.ts";

export type SizeDistribution =
  | { readonly kind: "fixed"; readonly frameBytes: number }
  | { readonly kind: "uniform"; readonly minFrameBytes: number; readonly maxFrameBytes: number }
  | { readonly kind: "imix" };

// The simple IMIX: IP packets of 40, 576 and 1500 bytes in the ratio 7:4:1
// (Wikipedia, "Internet Mix"; as Ethernet frames 64, 594 and 1518 bytes, e.g.
// Ostinato's IMIX profile, https://ostinato.org/blog/imix). 40 + 18 bytes of
// Ethernet header and FCS is padded up to the 64-byte minimum frame.
export const SIMPLE_IMIX: readonly { readonly frameBytes: number; readonly weight: number }[] = [
  { frameBytes: 64, weight: 7 },
  { frameBytes: 594, weight: 4 },
  { frameBytes: 1518, weight: 1 },
];
const IMIX_TOTAL_WEIGHT = SIMPLE_IMIX.reduce((sum, entry) => sum + entry.weight, 0);

export const MIN_GENERATED_FRAME_BYTES = MIN_FRAME_BYTES;
// Jumbo frames are not standardized; 9216 bytes is the largest most NICs and switches accept.
export const MAX_GENERATED_FRAME_BYTES = 9216;

export function drawFrameBytes(distribution: SizeDistribution, prng: Prng): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.frameBytes;
    case "uniform":
      return prng.nextInRange(distribution.minFrameBytes, distribution.maxFrameBytes);
    case "imix": {
      let pick = prng.nextBelow(IMIX_TOTAL_WEIGHT);
      for (const entry of SIMPLE_IMIX) {
        if (pick < entry.weight) return entry.frameBytes;
        pick -= entry.weight;
      }
      return SIMPLE_IMIX[SIMPLE_IMIX.length - 1].frameBytes;
    }
  }
}

// The largest frame the distribution draws.
export function largestFrameBytes(distribution: SizeDistribution): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.frameBytes;
    case "uniform":
      return distribution.maxFrameBytes;
    case "imix":
      return Math.max(...SIMPLE_IMIX.map((entry) => entry.frameBytes));
  }
}

export function formatSizeDistribution(distribution: SizeDistribution): string {
  switch (distribution.kind) {
    case "fixed":
      return `${distribution.frameBytes}`;
    case "uniform":
      return `${distribution.minFrameBytes}..${distribution.maxFrameBytes}`;
    case "imix":
      return "imix";
  }
}
