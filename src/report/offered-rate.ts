// The offered rate as the views write it. A rate needs two arrival times: with
// fewer than two packets, or all of them arriving at one instant (as many
// packets as ports, back to back at the line rate), it is undefined (null in
// the result) and the views say why instead of printing 0.
import { formatCount, formatMpps } from "./format.ts";
import type { Simulation } from "./schema.ts";

export function formatOfferedRate(sim: Pick<Simulation, "offeredMpps" | "packets">): string {
  if (sim.offeredMpps !== null) return `offered ${formatMpps(sim.offeredMpps)}`;
  const packets = sim.packets.offered;
  if (packets === 0) return "offered rate undefined: no packets";
  if (packets === 1) return "offered rate undefined for a single packet";
  const which = packets === 2 ? "both packets arrive" : `all ${formatCount(packets)} packets arrive`;
  return `offered rate undefined: ${which} at the same instant`;
}
