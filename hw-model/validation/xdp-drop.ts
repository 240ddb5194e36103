// The smallest XDP program, `return XDP_DROP;`, as the validation programs of
// Krude et al. (CoNEXT '21, examples/xdp-drop.c in their artifacts) and the
// XDP_DROP microbenchmark of hXDP (OSDI '20) run it offloaded: one verdict.
import { assemble } from "../isa/asm.ts";
import type { NicImage } from "../image.ts";

export const XDP_DROP_SOURCE = `
; xdp-drop: every packet is dropped on the card
    verdict   drop
`;

export function xdpDropImage(cores: readonly number[]): NicImage {
  return { stages: [{ name: "xdp-drop", program: assemble(XDP_DROP_SOURCE, "xdp-drop.uc"), cores }], maps: [] };
}
