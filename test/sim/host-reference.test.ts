// The host reference of `run` keeps one frame and one compiled session per
// port across packets; each sample program, over mixed generated traffic on
// two ports, must give every packet what a fresh runXdp (the reference
// interpreter, on its own copy of the maps) gives it, and leave the maps the same.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/helpers/runtime.ts";
import { cloneMaps, dumpMap } from "../../src/maps/index.ts";
import { createObjectMaps, selectProgram, tailCallPrograms } from "../../src/oracle/object-setup.ts";
import { readObjectFile } from "../../src/oracle/run-object.ts";
import { FIRST_PORT_IFINDEX, HostReference, RUN_CLOCK } from "../../src/sim/host-reference.ts";
import { generateTraffic } from "../../src/traffic/index.ts";
import { runXdp, type XdpRunResult } from "../../src/xdp/index.ts";

const programsDir = new URL("../../programs/", import.meta.url).pathname;
const samples = readdirSync(programsDir).filter((f) => f.endsWith(".o")).sort();
// Every protocol, VLANs, IPv6, malformed frames and a SYN flood: the programs' branches, their adjust_head/tail and map updates.
const TRAFFIC = "mix=tcp:0.4,udp:0.4,icmp:0.2 flows=64 size=64..400 malformed=0.1 synflood=0.1 vlan=0.3 ipv6=0.3";
const PACKETS = 300;
const SEED = 11;
// The program `run` would be asked for (--prog) in an object that holds more than one.
const ENTRY_PROGRAM: Readonly<Record<string, string>> = { "xdp_tailcall.o": "xdp_dispatch" };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const outcome = (r: XdpRunResult): string =>
  JSON.stringify({ action: r.action, fault: r.fault?.message, packet: hex(r.packetOut), meta: hex(r.metadataOut), steps: r.steps, events: r.events, redirect: r.redirect }, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? hex(v) : v,
  );

describe("HostReference (one session per port) against a fresh runXdp per packet", () => {
  it.each(samples)("%s: every packet and the final maps", (file) => {
    const object = readObjectFile(programsDir + file);
    const program = selectProgram(object, ENTRY_PROGRAM[file]);
    const maps = createObjectMaps(object, 1).maps;
    const reused = cloneMaps(maps);
    const fresh = cloneMaps(maps);
    const programs = tailCallPrograms(object);
    const reference = new HostReference({ program: program.insns, maps: reused, programs });
    reference.reseed(SEED);
    const random = seededRandom(SEED);
    let index = 0;
    for (const packet of generateTraffic(TRAFFIC, { packets: PACKETS, seed: 3 })) {
      const port = index++ % 2;
      const got = outcome(reference.run(packet.data, port, false));
      const rx = { ingressIfindex: FIRST_PORT_IFINDEX + port, rxQueueIndex: 0, egressIfindex: 0 };
      const want = outcome(runXdp(program.insns, packet.data, fresh, { programs, random, clock: RUN_CLOCK, rx }));
      expect(got, `${file}, packet ${packet.index} on port ${port}: ${hex(packet.data)}`).toBe(want);
    }
    expect(reused.map((m) => JSON.stringify(dumpMap(m)))).toEqual(fresh.map((m) => JSON.stringify(dumpMap(m))));
  });
});
