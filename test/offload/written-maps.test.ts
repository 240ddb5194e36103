// Which maps a run can change, read off the C sources of test/fixtures/realworld3
// by hand. kernel-check reads a map the program cannot change once instead of
// after every packet: l4_balancer.o's 262,148-slot ring read back after each
// of 2,000 packets took 250 s (8 s without).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { mapsRunMayWrite } from "../../src/offload/written-maps.ts";

const dir = join(import.meta.dirname, "../fixtures/realworld3");

function written(file: string, program: string): string[] | undefined {
  const object = loadObject(new Uint8Array(readFileSync(join(dir, file))), file);
  const entry = object.programs.findIndex((p) => p.name === program);
  const maps = mapsRunMayWrite(object.programs.map((p) => p.insns), entry, object.maps);
  return maps === undefined ? undefined : [...maps].map((i) => object.maps[i].name).sort();
}

describe("maps a run may change", () => {
  it("l4_balancer: the counters, the connection table and .bss; never the VIPs, rings, reals, server ids or control array", () => {
    // stat_add() writes lb_stats, choose_real() updates conn_table and bumps last_seen_pkts, packets_seen/passed are .bss.
    expect(written("l4_balancer.o", "balancer_ingress")).toEqual([".bss", "conn_table", "lb_stats"]);
  });

  it("rule_filter's bounded-loop program: the per-rule and per-verdict counters only", () => {
    expect(written("rule_filter.o", "filter_main")).toEqual(["filter_stats", "rule_counters"]);
  });

  it("tail_datapath's entry: its own scratch slot and counters, and what the tail-called programs write", () => {
    // dp_entry writes cb_scratch and dp_counters; dp_ipv4/dp_ipv6 update conntrack, add to policy packets, send drop_events.
    expect(written("tail_datapath.o", "dp_entry")).toEqual(["conntrack", "cb_scratch", "dp_counters", "drop_events", "policy"].sort());
  });

  it("cannot tell for a program that passes a callback to bpf_loop (code the analysis does not follow)", () => {
    expect(written("rule_filter.o", "filter_loop")).toBeUndefined();
  });
});
