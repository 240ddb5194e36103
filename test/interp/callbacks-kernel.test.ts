// The callback helpers, the probe reads and strncmp against the kernel: kernel-check
// (BPF_PROG_TEST_RUN next to the interpreter, every map compared after each packet)
// on fixtures that store each edge case's result in .bss (and bpf_check_mtu's), on both programs of
// the realworld loops.o (bpf_loop walking options, for_each_map_elem summing and
// capping two tables) and on core_parse.o (BPF_CORE_READ through probe_read_kernel).
import { describe, expect, it } from "vitest";
import { runInProcess } from "../support/cli-in-process.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";

const FIXTURES = "test/interp/fixtures";
const REALWORLD = "test/fixtures/realworld";
const rootMissing = process.getuid?.() !== 0;

async function expectAgreement(args: readonly string[]): Promise<void> {
  const outcome = await runInProcess(["kernel-check", ...args, "--trace", "20"]);
  expect(outcome.crash).toBeUndefined();
  expect(outcome.status, outcome.stdout + outcome.stderr).toBe(0);
  expect(outcome.stdout).toMatch(/^AGREE: /m);
}

describe.skipIf(!kernelAvailable || rootMissing)("helpers with callbacks and probe reads agree with the kernel", () => {
  it("helper_semantics.o: bpf_loop, for_each_map_elem, probe_read_kernel[_str], strncmp edge cases", async () => {
    await expectAgreement([`${FIXTURES}/helper_semantics.o`, "--packets", "30", "--map", `h=${FIXTURES}/helper_semantics.h.json`, "--map", `a=${FIXTURES}/helper_semantics.a.json`]);
  });

  it("check_mtu.o: bpf_check_mtu on the loopback device, a missing device, flags, *mtu_len as input, len_diff", async () => {
    await expectAgreement([`${FIXTURES}/check_mtu.o`, "--packets", "100"]);
  });

  it("fib_order.o: bpf_fib_lookup's IPv6 link-local/multicast/loopback answer comes before the device lookup", async () => {
    await expectAgreement([`${FIXTURES}/fib_order.o`, "--packets", "5"]);
  });

  it("backend_rings.o: lookups, updates and for_each_map_elem on inner maps reached through maps of maps", async () => {
    await expectAgreement([`${FIXTURES}/backend_rings.o`, "--packets", "300"]);
  });

  it("loops.o xdp_tlv_walk (bpf_loop)", async () => {
    await expectAgreement([`${REALWORLD}/loops.o`, "--prog", "xdp_tlv_walk", "--packets", "150"]);
  });

  it("loops.o xdp_sum_tables (for_each_map_elem over an array and a hash it writes)", async () => {
    await expectAgreement([`${REALWORLD}/loops.o`, "--prog", "xdp_sum_tables", "--packets", "50", "--map", `weights=${FIXTURES}/loops.weights.json`, "--map", `budgets=${FIXTURES}/loops.budgets.json`]);
  });

  it("core_parse.o xdp_core_parse (BPF_CORE_READ of a packet field through probe_read_kernel)", async () => {
    await expectAgreement([`${REALWORLD}/core_parse.o`, "--prog", "xdp_core_parse", "--packets", "150"]);
  });
});
