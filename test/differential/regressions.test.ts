// Disagreements the kernel oracle found between the kernel and our
// interpreter/helpers/maps, each fixed on the kernel's side and pinned here
// without needing the kernel (docs/kernel.md, "Fixed disagreements"). The
// expected values are the kernel's answers, with the kernel source that
// explains them.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/index.ts";
import { FibResult } from "../../src/helpers/index.ts";
import { createMap, MapFlag, MapType } from "../../src/maps/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { lookupInto } from "../../src/helpers/fib.ts";
import { environmentRouteTable, parseEnvironment } from "../../src/oracle/environment.ts";
import { readObjectFile, runObject } from "../../src/oracle/run-object.ts";
import { eth } from "../../src/traffic/index.ts";

const programs = fileURLToPath(new URL("../../programs/", import.meta.url));
const expectations = JSON.parse(readFileSync(`${programs}expectations.json`, "utf8")) as { environments: Record<string, unknown> };
const routerNetns = environmentRouteTable(parseEnvironment(expectations.environments["router-netns"], "router-netns"));

// struct bpf_fib_lookup (include/uapi/linux/bpf.h): family at 0, ifindex at 8, ipv6_src at 16, ipv6_dst at 32.
function ipv6FibParams(src: string, dst: string): Uint8Array {
  const params = new Uint8Array(64);
  params[0] = 10; // AF_INET6
  new DataView(params.buffer).setUint32(8, 1, true); // received on lo
  params.set(eth({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }).ipv6({ src, dst }).build().subarray(22, 54), 16);
  return params;
}

describe("bpf_fib_lookup, IPv6 with a link-local, multicast or loopback address", () => {
  // net/core/filter.c bpf_ipv6_fib_lookup: `if (rt6_need_strict(dst) || rt6_need_strict(src)) return BPF_FIB_LKUP_RET_NOT_FWDED;`
  // Found by kernel-check on xdp_router: a packet from fe80::1 to 2001:db8:1::7 was redirected by us and passed by the kernel.
  it.each([
    ["fe80::1", "2001:db8:1::7"],
    ["febf::1", "2001:db8:1::7"],
    ["::1", "2001:db8:1::7"],
    ["ff02::1", "2001:db8:1::7"],
    ["2001:db8::5", "ff02::1"],
    ["2001:db8::5", "fe80::7"],
  ])("%s -> %s is not forwarded", (src, dst) => {
    expect(lookupInto(routerNetns, ipv6FibParams(src, dst), 0)).toBe(FibResult.NOT_FWDED);
  });

  it("still forwards a global source just outside fe80::/10 (fec0::1) to a neighbour", () => {
    expect(lookupInto(routerNetns, ipv6FibParams("fec0::1", "2001:db8:1::7"), 0)).toBe(FibResult.SUCCESS);
  });

  it("makes xdp_router pass the kernel's counterexample unchanged", () => {
    const packet = eth({ src: "02:00:00:00:00:01", dst: "48:94:06:31:0e:a1" }).ipv6({ src: "fe80::1", dst: "2001:db8:1::7" }).udp({ srcPort: 0, dstPort: 1792 }).payload(13).build();
    const report = runObject({
      object: readObjectFile(`${programs}xdp_router.o`),
      packet,
      mapFiles: [{ map: "tx_ports", file: `${programs}maps/xdp_router.tx_ports.json` }],
      routes: routerNetns,
    });
    expect(report.result.actionName).toBe("XDP_PASS");
    expect(Buffer.from(report.result.packetOut).equals(Buffer.from(packet))).toBe(true);
  });
});

describe("bpf_map_update_elem and bpf_map_push_elem with flags beyond 32 bits", () => {
  // kernel/bpf/helpers.c: the flags argument is a u64 handed to map_update_elem / map_push_elem, whose
  // first check (htab, array, LRU, LPM trie, queue/stack) refuses anything above BPF_EXIST with EINVAL.
  // Found by the helper differential test: an LRU hash update with flags 1 << 32 inserted the key here.
  const EINVAL_U32 = 0xffff_ffea;
  const UPDATE = `
    *(u64 *)(r10 - 8) = 0
    *(u64 *)(r10 - 16) = 7
    ld_pseudo r1, 5, 0
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -16
    r4 = 1 ll
    r4 <<= 32
    call 2
    exit
  `;
  it.each([
    ["hash", MapType.HASH, 8, 0],
    ["array", MapType.ARRAY, 4, 0],
    ["lru_hash", MapType.LRU_HASH, 8, 0],
    ["lru_percpu_hash", MapType.LRU_PERCPU_HASH, 8, 0],
    ["lpm_trie", MapType.LPM_TRIE, 8, MapFlag.NO_PREALLOC],
  ])("%s: EINVAL and no entry", (_name, type, keySize, flags) => {
    const def = { name: "m", type, keySize, valueSize: 8, maxEntries: 4, flags };
    const map = createMap(def, { cpus: 2 });
    const result = runXdp(assemble(UPDATE), new Uint8Array(14), [map]);
    expect(result.action).toBe(EINVAL_U32);
    const present = map.entries().filter((e) => (e.value ?? e.perCpu?.[0] ?? new Uint8Array(8)).some((b) => b !== 0));
    expect(present).toEqual([]);
  });

  it("queue push: EINVAL and nothing pushed", () => {
    const push = `
      *(u64 *)(r10 - 8) = 7
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -8
      r3 = 1 ll
      r3 <<= 32
      call 87
      exit
    `;
    const queue = createMap({ name: "q", type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 });
    const result = runXdp(assemble(push), new Uint8Array(14), [queue]);
    expect(result.action).toBe(EINVAL_U32);
    expect(queue.entries()).toEqual([]);
  });
});
