// `offload-sim exec` and `offload-sim disasm` on the ELF objects of programs/,
// end to end through bin/offload-sim.js. Expected values come from
// expectations.json (worked out by hand, confirmed by the kernel) and from
// llvm-objdump where it is installed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodePcap } from "../../src/traffic/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(root, "bin/offload-sim.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: root });

interface Case {
  readonly name: string;
  readonly packet: string;
  readonly expected: { readonly action: string; readonly retval: number; readonly packetOut: string };
}
const expectations = JSON.parse(readFileSync(join(root, "programs/expectations.json"), "utf8")) as {
  programs: { object: string; program: string; cases: Case[] }[];
};
const casesOf = (program: string): Case[] => expectations.programs.find((p) => p.program === program)!.cases;

describe("offload-sim exec prog.o", () => {
  it("runs the firewall on a blocked tuple: XDP_DROP, the frame unchanged, the hit counter 0 -> 1", () => {
    const blocked = casesOf("xdp_firewall")[0];
    const result = run("exec", "programs/xdp_firewall.o", "--hex", blocked.packet, "--map", "blocklist=programs/maps/xdp_firewall.blocklist.json", "--json");
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.actionName).toBe("XDP_DROP");
    expect(report.packet).toBe(blocked.packet);
    expect(report.changedMaps).toHaveLength(1);
    expect(report.changedMaps[0].changed[0].after.value).toBe("0100000000000000");
  });

  it("prints the action, the output packet by layer and the changed entries as text", () => {
    const swap = casesOf("xdp_mac_swap")[0];
    const result = run("exec", "programs/xdp_mac_swap.o", "--hex", swap.packet);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("action: XDP_TX (3)");
    expect(result.stdout).toContain(swap.expected.packetOut);
    expect(result.stdout).toMatch(/Ethernet [0-9a-f:]+ > [0-9a-f:]+/);
    expect(result.stdout).toContain("maps: no entry changed");
  });

  it("reads the packet from a pcap file (its first packet) or a raw frame", () => {
    const dir = mkdtempSync(join(tmpdir(), "osim-exec-"));
    const trim = casesOf("xdp_trim").find((c) => c.packet.length / 2 > 96)!;
    const frame = Uint8Array.from(Buffer.from(trim.packet, "hex"));
    writeFileSync(join(dir, "one.pcap"), encodePcap([{ data: frame, timestampNs: 0n }]));
    writeFileSync(join(dir, "one.bin"), frame);
    for (const file of ["one.pcap", "one.bin"]) {
      const report = JSON.parse(run("exec", "programs/xdp_trim.o", "--packet", join(dir, file), "--json").stdout);
      expect(report.packet, file).toBe(trim.expected.packetOut);
      expect(report.packetLength, file).toBe(96);
    }
  });

  it("asks for --prog when an object holds several programs, and for a packet", () => {
    const several = run("exec", "programs/xdp_tailcall.o", "--hex", "00".repeat(14));
    expect(several.status).toBe(2);
    expect(several.stderr).toMatch(/holds 2 programs .*name one with --prog/);
    const noPacket = run("exec", "programs/xdp_pass.o");
    expect(noPacket.status).toBe(2);
    expect(noPacket.stderr).toContain("give --packet FILE or --hex HEX");
    const badMap = run("exec", "programs/xdp_pass.o", "--hex", "00".repeat(14), "--map", "nope=x.json");
    expect(badMap.status).toBe(2);
    expect(badMap.stderr).toContain("has no map named 'nope'");
  });
});

// llvm-objdump's instruction lines of one function: "     12:\t<bytes>\t<text>".
function objdumpLines(object: string): Map<string, number> {
  const dump = spawnSync("llvm-objdump", ["-d", object], { encoding: "utf8" });
  const counts = new Map<string, number>();
  let current = "";
  for (const line of dump.stdout.split("\n")) {
    const fn = /^[0-9a-f]+ <([A-Za-z_][\w.]*)>:$/.exec(line);
    if (fn && !fn[1].startsWith("LBB")) current = fn[1];
    else if (/^\s+\d+:\t/.test(line)) counts.set(current, (counts.get(current) ?? 0) + 1);
  }
  return counts;
}

const hasObjdump = spawnSync("llvm-objdump", ["--version"]).status === 0;
if (!hasObjdump) console.warn("\n*** DISASM OBJDUMP COMPARISON SKIPPED: llvm-objdump is not installed ***\n");

describe("offload-sim disasm prog.o", () => {
  it("lists each program with its functions, and names the maps it refers to", () => {
    const result = run("disasm", "programs/xdp_ipv6_exthdr.o");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("Disassembly of program xdp_ipv6_exthdr (section xdp):");
    expect(result.stdout).toMatch(/<ipv6_l4_offset>:/);
    expect(result.stdout).toMatch(/<l4_dest_port>:/);
    expect(result.stdout).toContain("# map 'deny_ports'");
  });

  it.skipIf(!hasObjdump)("has as many instructions per function as llvm-objdump", () => {
    for (const object of ["xdp_ipv6_exthdr.o", "xdp_l4_lb.o", "xdp_firewall.o", "xdp_tailcall.o"]) {
      const ours = run("disasm", `programs/${object}`).stdout;
      const counts = new Map<string, number>();
      let current = "";
      for (const line of ours.split("\n")) {
        const fn = /^[0-9a-f]+ <([\w.]+)>:$/.exec(line);
        if (fn) current = fn[1];
        else if (/^\s+\d+:\t/.test(line)) counts.set(current, (counts.get(current) ?? 0) + 1);
      }
      for (const [fn, count] of objdumpLines(join(root, "programs", object))) expect(counts.get(fn), `${object} <${fn}>`).toBe(count);
    }
  });

  it("lists one program with --prog and refuses an unknown one", () => {
    const one = run("disasm", "programs/xdp_tailcall.o", "--prog", "xdp_ipv4_stage");
    expect(one.stdout).toContain("Disassembly of program xdp_ipv4_stage");
    expect(one.stdout).not.toContain("Disassembly of program xdp_dispatch");
    const unknown = run("disasm", "programs/xdp_tailcall.o", "--prog", "nope");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("has no program named 'nope'");
  });
});
