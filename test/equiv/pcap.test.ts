// equiv --pcap: the frames of a capture are the cases' packets. Each frame runs
// once as captured, in the capture's order, before any drawn case; the drawn
// cases vary the map states, clocks and damage of those frames. The capture
// here is written byte by byte (libpcap's file format: a 24-byte header, then
// a 16-byte header before each packet), so what the program must see is known
// without the reader.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runEquivalence } from "../../src/equiv/index.ts";
import { runHostSide } from "../../src/equiv/host-side.ts";
import { decodeReplayToken } from "../../src/equiv/replay-token.ts";
import type { Compiled, NicBackend, NicTarget } from "../../src/equiv/nic-target.ts";
import type { EquivSubject } from "../../src/equiv/subject.ts";
import { XdpAction } from "../../src/xdp/index.ts";

const PASS_OBJECT = "programs/xdp_pass.o";
const dir = mkdtempSync(join(tmpdir(), "equiv-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Ethernet 02:00:00:00:00:02 > 02:00:00:00:00:01, IPv4 (0x0800) 10.0.0.1 > 10.0.0.2 with this TTL, UDP 1234 > 80 (RFC 791, RFC 768).
function udpFrame(ttl: number): Uint8Array {
  const ethernet = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
  const ipv4 = [0x45, 0, 0, 28, 0, 0, 0, 0, ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const udp = [0x04, 0xd2, 0, 80, 0, 8, 0, 0];
  return new Uint8Array([...ethernet, ...ipv4, ...udp]);
}

// A little-endian libpcap file (magic a1b2c3d4, version 2.4, snaplen 65535, link type 1 = Ethernet) of whole frames.
function pcapFile(frames: readonly Uint8Array[]): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((frame, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(i + 1, 0);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}

const frames = [udpFrame(64), udpFrame(63), udpFrame(1)];
const capture = join(dir, "three.pcap");
writeFileSync(capture, pcapFile(frames));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// A NIC side that runs the host interpreter and notes each packet, with an optional planted bug deciding the action.
function recordingBackend(seen: Uint8Array[], bug?: (packet: Uint8Array) => number | undefined): NicBackend {
  return {
    name: "recording stand-in",
    cutCount: () => 2,
    compile: (subject: EquivSubject, variation): Compiled => {
      const target: NicTarget = {
        variation,
        planLines: ["stand-in plan"],
        run: (packet, maps, env) => {
          seen.push(packet.slice());
          const host = runHostSide(subject, packet, maps, env).outcome;
          const action = bug?.(packet);
          return { outcome: { ...host, side: "nic", ...(action === undefined ? {} : { action }) } };
        },
      };
      return { kind: "target", target };
    },
  };
}

// The planted bug: the frame with TTL 1 (IPv4 byte 8, after 14 bytes of Ethernet) is dropped.
const dropsTtlOne = (packet: Uint8Array): number | undefined => (packet[14 + 8] === 1 ? XdpAction.DROP : undefined);

describe("equiv --pcap", () => {
  it("runs every captured frame once as captured, in order, before the drawn cases", async () => {
    const seen: Uint8Array[] = [];
    const report = await runEquivalence({ objectFile: PASS_OBJECT, captureFile: capture, runs: 10, seed: 7, cores: [1], backend: recordingBackend(seen) });
    expect(report.result.agreed).toBe(true);
    expect(report.result.casesRun).toBe(10);
    expect(seen.slice(0, 3).map(hex)).toEqual(frames.map(hex));
    expect(report.capture).toEqual({ file: capture, frames: 3, notes: [] });
  });

  it("finds the captured frame a NIC gets wrong, as captured, and replays it with the capture", async () => {
    const first = await runEquivalence({ objectFile: PASS_OBJECT, captureFile: capture, runs: 10, seed: 7, cores: [1], backend: recordingBackend([], dropsTtlOne) });
    const cx = first.result.counterexample!;
    expect(cx.casesBefore).toBe(2);
    const failing = cx.report.inputs.at(-1)!;
    expect(hex(failing.prepared.packet)).toBe(hex(frames[2]));
    expect(failing.differences.map((d) => d.text)).toEqual(["action: host interpreter XDP_PASS, NIC XDP_DROP"]);
    expect(first.replayPrefix).toBe(`offload-sim equiv ${PASS_OBJECT} --pcap ${capture}`);
    const again = await runEquivalence({ objectFile: PASS_OBJECT, captureFile: capture, replay: cx.token, backend: recordingBackend([], dropsTtlOne) });
    expect(hex(again.result.counterexample!.report.inputs.at(-1)!.prepared.packet)).toBe(hex(frames[2]));
    expect(decodeReplayToken(cx.token).seed).toBe(7);
  });

  it("takes drawn cases from the capture's frames when the runs outnumber them", async () => {
    const seen: Uint8Array[] = [];
    await runEquivalence({ objectFile: PASS_OBJECT, captureFile: capture, runs: 40, seed: 3, cores: [1], backend: recordingBackend(seen) });
    // Damage keeps the Ethernet header or flips one byte: every drawn packet starts like a captured frame in at least 13 of 14 bytes.
    const closeTo = (packet: Uint8Array): boolean => frames.some((f) => f.subarray(0, 14).filter((b, i) => packet[i] !== b).length <= 1);
    expect(seen.length).toBe(40);
    expect(seen.slice(3).every(closeTo)).toBe(true);
  });
});

describe("offload-sim equiv --pcap", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ["bin/offload-sim.js", "equiv", ...args], { encoding: "utf8", timeout: 120_000 });

  it("says how many cases were the captured frames and how many were drawn from them", () => {
    const run = cli(PASS_OBJECT, "--pcap", capture, "--runs", "5", "--seed", "1", "--cores", "1");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `xdp_pass.o: xdp_pass: NIC (nfp-4000) vs host interpreter agree on all 5 cases (seed 1, cores 1).\n  packets from ${capture}: 3 of its 3 frames as captured, then 2 cases of its frames with drawn map states, clocks and damage\n`,
    );
  });

  it.each([
    [[PASS_OBJECT, "--pcap", "missing.pcap"], /^offload-sim: missing\.pcap: cannot open the capture: no such file \(at byte offset 0\)\.\n$/],
    [["--generated", "--pcap", "missing.pcap"], /^offload-sim: --pcap gives packets for an object's program, not for --generated programs\.\n$/],
  ])("refuses %j in one sentence with exit 2", (args, message) => {
    const run = cli(...args);
    expect(run.status).toBe(2);
    expect(run.stderr.replace(/^offload-sim equiv: seed -?\d+\n/, "")).toMatch(message);
  });
});
