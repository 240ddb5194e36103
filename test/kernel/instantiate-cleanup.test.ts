// instantiateObject failing partway (a map the kernel refuses, a prog_array slot
// it cannot fill, a .rodata it cannot freeze) closes what it had made before
// rethrowing, instead of leaving the fds open until the session closes. Seen
// through an injected syscall: the fake kernel hands out fds from 100 on and
// records every close().
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../src/elf/index.ts";
import { instantiateObject, KernelError, KernelSession, type InstantiateOptions } from "../../src/kernel/index.ts";
import { BpfCmd } from "../../src/kernel/uapi.ts";
import { fakeNative } from "./fake-native.ts";

const ENOMEM = 12;
const EBUSY = 16;
const EPERM = 1;
const fdCommands: ReadonlySet<number> = new Set([BpfCmd.MAP_CREATE, BpfCmd.PROG_LOAD, BpfCmd.BTF_LOAD]);

// Instantiates `file` on a fake kernel that fails command `failing` from its `failAt`-th call (1-based) on
// (a map creation refused with BTF is tried again without, as libbpf does: the retry must fail too).
function instantiateFailing(file: string, failing: number, failAt: number, errno: number, options: InstantiateOptions = {}) {
  const path = new URL(file, import.meta.url).pathname;
  let nextFd = 100;
  let seen = 0;
  const handedOut: { cmd: number; fd: number }[] = [];
  const { native, closed } = fakeNative((cmd) => {
    if (cmd === failing && ++seen >= failAt) return { result: -1, errno };
    const fd = nextFd++;
    if (fdCommands.has(cmd)) handedOut.push({ cmd, fd });
    return { result: fd, errno: 0 };
  });
  const session = KernelSession.open(native);
  let thrown: unknown;
  try {
    instantiateObject(session, loadObject(new Uint8Array(readFileSync(path)), path), options);
  } catch (error) {
    thrown = error;
  }
  // Read before close(): what the session still holds, and what was closed by then.
  const stillOpen = session.openFds;
  const closedBefore = [...closed];
  session.close();
  const made = (cmd: number) => handedOut.filter((h) => h.cmd === cmd).map((h) => h.fd);
  return { thrown, stillOpen, closedBefore, made, handedOut: handedOut.map((h) => h.fd) };
}

describe("instantiateObject closes what it made when it fails", () => {
  it("the third of ddos_scrubber's six map creations refused: the two maps made and the object's BTF are closed", () => {
    const run = instantiateFailing("../fixtures/realworld3/ddos_scrubber.o", BpfCmd.MAP_CREATE, 3, ENOMEM);
    expect(run.thrown).toBeInstanceOf(KernelError);
    expect((run.thrown as KernelError).command).toBe("BPF_MAP_CREATE");
    expect(run.made(BpfCmd.MAP_CREATE)).toHaveLength(2);
    expect(run.made(BpfCmd.PROG_LOAD)).toHaveLength(0);
    expect(run.stillOpen).toEqual([]);
    expect(run.closedBefore).toEqual(expect.arrayContaining(run.handedOut));
  });

  it("xdp_tailcall's prog_array slot cannot be filled: both loaded programs and the maps are closed", () => {
    const slots = { progArraySlots: [{ map: "stages", index: 0, program: "xdp_ipv4_stage" }] };
    const run = instantiateFailing("../../programs/xdp_tailcall.o", BpfCmd.MAP_UPDATE_ELEM, 1, EBUSY, slots);
    expect(run.thrown).toBeInstanceOf(KernelError);
    expect(run.made(BpfCmd.PROG_LOAD)).toHaveLength(2);
    expect(run.made(BpfCmd.MAP_CREATE).length).toBeGreaterThan(0);
    expect(run.stillOpen).toEqual([]);
    expect(run.closedBefore).toEqual(expect.arrayContaining(run.handedOut));
  });

  it("xdp_udp_guard's .rodata cannot be frozen: that map too is closed, not only the ones before it", () => {
    const run = instantiateFailing("../../programs/xdp_udp_guard.o", BpfCmd.MAP_FREEZE, 1, EPERM);
    expect(run.thrown).toBeInstanceOf(KernelError);
    expect((run.thrown as KernelError).command).toBe("BPF_MAP_FREEZE");
    expect(run.made(BpfCmd.MAP_CREATE).length).toBeGreaterThan(0);
    expect(run.stillOpen).toEqual([]);
    expect(run.closedBefore).toEqual(expect.arrayContaining(run.handedOut));
  });

  it("a failure-free run on the same fake keeps exactly the maps and programs it returns open", () => {
    const run = instantiateFailing("../../programs/xdp_tailcall.o", BpfCmd.MAP_UPDATE_ELEM, Number.POSITIVE_INFINITY, EBUSY);
    expect(run.thrown).toBeUndefined();
    expect(new Set(run.stillOpen)).toEqual(new Set([...run.made(BpfCmd.MAP_CREATE), ...run.made(BpfCmd.PROG_LOAD)]));
  });
});
