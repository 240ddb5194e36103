// BPF_PROG_TEST_RUN of XDP programs: the action, the packet the program left,
// metadata, maps read and written through LD_IMM64, tail calls, the xdp_md
// context (ingress_ifindex, rx_queue_index) and the kernel's rules for it.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MapType, type MapDef } from "../../src/maps/types.ts";
import { KernelError, withKernel, type KernelSession } from "../../src/kernel/index.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import {
  Helper,
  XdpMd,
  addImm,
  atomicAdd64,
  callHelper,
  exit,
  jeqImm,
  jgtReg,
  ldMap,
  ldMapValue,
  load,
  movImm,
  movReg,
  readU32le,
  readU64le,
  store,
  storeImm,
  subReg,
  u32le,
} from "./hand-asm.ts";

// enum xdp_action (include/uapi/linux/bpf.h).
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;

// A 60-byte frame: destination MAC 02:00:00:00:00:01, source 02:00:00:00:00:02, EtherType 0x0800, payload 0..45.
const frame = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...Array.from({ length: 46 }, (_, i) => i)]);

// Swaps the Ethernet destination and source addresses and returns XDP_TX (XDP_DROP if shorter than 14 bytes).
const swapMacs = [
  load("w", 2, 1, XdpMd.data),
  load("w", 3, 1, XdpMd.data_end),
  movReg(4, 2),
  addImm(4, 14),
  movImm(0, XDP_DROP),
  jgtReg(4, 3, 10),
  load("w", 5, 2, 0),
  load("h", 6, 2, 4),
  load("w", 7, 2, 6),
  load("h", 8, 2, 10),
  store("w", 2, 0, 7),
  store("h", 2, 4, 8),
  store("w", 2, 6, 5),
  store("h", 2, 10, 6),
  movImm(0, XDP_TX),
  exit(),
  exit(),
];

// Looks up key 0 of map #0 and returns the u32 at the start of its value (0 on a miss).
const returnMapValue = [
  storeImm("w", 10, -4, 0),
  movReg(2, 10),
  addImm(2, -4),
  ...ldMap(1, 0),
  callHelper(Helper.MAP_LOOKUP_ELEM),
  jeqImm(0, 0, 2),
  load("w", 0, 0, 0),
  exit(),
  movImm(0, 0),
  exit(),
];

// Adds 1 to the u64 under key 0 of map #0 and returns XDP_PASS.
const countRuns = [
  storeImm("w", 10, -4, 0),
  movReg(2, 10),
  addImm(2, -4),
  ...ldMap(1, 0),
  callHelper(Helper.MAP_LOOKUP_ELEM),
  jeqImm(0, 0, 2),
  movImm(1, 1),
  atomicAdd64(0, 0, 1),
  movImm(0, XDP_PASS),
  exit(),
];

const arrayDef = (name: string, valueSize: number): MapDef => ({ name, type: MapType.ARRAY, keySize: 4, valueSize, maxEntries: 1, flags: 0 });

const errnoOf = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    if (error instanceof KernelError) return error.errnoName;
    throw error;
  }
  return "no error";
};

// The ifindex of each network device, and its rx queue count, from sysfs.
const devices = readdirSync("/sys/class/net").map((name) => ({
  name,
  ifindex: Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8")),
  rxQueues: readdirSync(`/sys/class/net/${name}/queues`).filter((q) => q.startsWith("rx-")).length,
}));
const loopback = devices.find((d) => d.name === "lo");

const loadSwap = (k: KernelSession) => k.loadProgram({ program: swapMacs, name: "swap_macs" });

describe.skipIf(!kernelAvailable)("kernel XDP test run", () => {
  it("returns XDP_TX and the frame with its MAC addresses swapped", async () => {
    await withKernel((k) => {
      const result = k.testRunXdp(loadSwap(k), { packet: frame });
      const expected = new Uint8Array([...frame.subarray(6, 12), ...frame.subarray(0, 6), ...frame.subarray(12)]);
      expect(result.retval).toBe(XDP_TX);
      expect(result.packet).toEqual(expected);
      expect(result.metadata).toEqual(new Uint8Array(0));
    });
  });

  it("reads a map value through an LD_IMM64 map reference, live", async () => {
    await withKernel((k) => {
      const map = k.createMap(arrayDef("config", 4));
      const program = k.loadProgram({ program: returnMapValue, mapFds: [map.fd], name: "read_config" });
      k.update(map, u32le(0), u32le(42));
      expect(k.testRunXdp(program, { packet: frame }).retval).toBe(42);
      k.update(map, u32le(0), u32le(7));
      expect(k.testRunXdp(program, { packet: frame }).retval).toBe(7);
    });
  });

  it("reads global data at an offset inside a map value (BPF_PSEUDO_MAP_VALUE)", async () => {
    await withKernel((k) => {
      const data = k.createMap(arrayDef(".data", 16));
      k.update(data, u32le(0), new Uint8Array([...u32le(11), ...u32le(22), ...u32le(33), ...u32le(44)]));
      const program = k.loadProgram({ program: [...ldMapValue(1, 0, 8), load("w", 0, 1, 0), exit()], mapFds: [data.fd], name: "globals" });
      expect(k.testRunXdp(program, { packet: frame }).retval).toBe(33);
    });
  });

  it("runs `repeat` times: a counter the program increments reaches repeat, and the mean duration is reported", async () => {
    await withKernel((k) => {
      const counter = k.createMap(arrayDef("runs", 8));
      const program = k.loadProgram({ program: countRuns, mapFds: [counter.fd], name: "count_runs" });
      const result = k.testRunXdp(program, { packet: frame, repeat: 1000 });
      expect(result.retval).toBe(XDP_PASS);
      expect(readU64le(k.lookup(counter, u32le(0))!)).toBe(1000n);
      expect(Number.isInteger(result.durationNs)).toBe(true);
      expect(result.durationNs).toBeGreaterThan(0);
    });
  });

  it("jumps through a prog_array with a tail call", async () => {
    await withKernel((k) => {
      const jumps = k.createMap({ name: "jumps", type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
      const caller = k.loadProgram({
        program: [...ldMap(2, 0), movImm(3, 0), callHelper(Helper.TAIL_CALL), movImm(0, XDP_DROP), exit()],
        mapFds: [jumps.fd],
        name: "caller",
      });
      expect(k.testRunXdp(caller, { packet: frame }).retval).toBe(XDP_DROP);
      k.setProgArraySlot(jumps, 0, loadSwap(k));
      const result = k.testRunXdp(caller, { packet: frame });
      expect(result.retval).toBe(XDP_TX);
      expect(result.packet.subarray(0, 6)).toEqual(frame.subarray(6, 12));
    });
  });

  describe("metadata", () => {
    // r0 = data - data_meta: the metadata length the program sees.
    const metaLength = [load("w", 2, 1, XdpMd.data_meta), load("w", 0, 1, XdpMd.data), subReg(0, 2), exit()];

    it("puts metadata in front of the packet and hands it back separately", async () => {
      await withKernel((k) => {
        const program = k.loadProgram({ program: metaLength, name: "meta_len" });
        const metadata = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
        const result = k.testRunXdp(program, { packet: frame, metadata });
        expect(result.retval).toBe(8);
        expect(result.metadata).toEqual(metadata);
        expect(result.packet).toEqual(frame);
        expect(k.testRunXdp(program, { packet: frame }).retval).toBe(0);
      });
    });

    it("refuses metadata whose length is not a multiple of 4 (EINVAL)", async () => {
      await withKernel((k) => {
        const program = k.loadProgram({ program: metaLength, name: "meta_len" });
        expect(errnoOf(() => k.testRunXdp(program, { packet: frame, metadata: new Uint8Array(6) }))).toBe("EINVAL");
      });
    });
  });

  describe.skipIf(loopback === undefined)("the xdp_md context", () => {
    const readIngress = [load("w", 0, 1, XdpMd.ingress_ifindex), exit()];
    const readQueue = [load("w", 0, 1, XdpMd.rx_queue_index), exit()];

    it("shows the loopback device's ifindex when no ingress_ifindex is given", async () => {
      await withKernel((k) => {
        const program = k.loadProgram({ program: readIngress, name: "ingress" });
        expect(k.testRunXdp(program, { packet: frame }).retval).toBe(loopback!.ifindex);
      });
    });

    it("shows each existing device's ifindex and queue 0 when asked for them", async () => {
      await withKernel((k) => {
        const ingress = k.loadProgram({ program: readIngress, name: "ingress" });
        const queue = k.loadProgram({ program: readQueue, name: "queue" });
        for (const device of devices.filter((d) => d.rxQueues > 0)) {
          expect(k.testRunXdp(ingress, { packet: frame, ingressIfindex: device.ifindex }).retval).toBe(device.ifindex);
          expect(k.testRunXdp(queue, { packet: frame, ingressIfindex: device.ifindex, rxQueueIndex: 0 }).retval).toBe(0);
        }
      });
    });

    it("refuses a device that does not exist (ENODEV) and a queue it does not have (EINVAL)", async () => {
      await withKernel((k) => {
        const program = k.loadProgram({ program: readIngress, name: "ingress" });
        const absent = Math.max(...devices.map((d) => d.ifindex)) + 1000;
        expect(errnoOf(() => k.testRunXdp(program, { packet: frame, ingressIfindex: absent }))).toBe("ENODEV");
        const lo = loopback!;
        expect(errnoOf(() => k.testRunXdp(program, { packet: frame, ingressIfindex: lo.ifindex, rxQueueIndex: lo.rxQueues }))).toBe("EINVAL");
        // A queue without a device.
        expect(errnoOf(() => k.testRunXdp(program, { packet: frame, rxQueueIndex: 1 }))).toBe("EINVAL");
      });
    });
  });

  it("refuses a frame shorter than an Ethernet header (14 bytes) with EINVAL and a hint", async () => {
    await withKernel((k) => {
      const program = loadSwap(k);
      expect(() => k.testRunXdp(program, { packet: frame.subarray(0, 13) })).toThrow(/failed with EINVAL: for XDP the kernel wants at least 14 bytes/);
      expect(k.testRunXdp(program, { packet: frame.subarray(0, 14) }).retval).toBe(XDP_TX);
    });
  });
});
