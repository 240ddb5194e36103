// kernelVerdict on a bare program with a subprogram loads a synthetic func BTF
// for it; the program keeps its own reference, so the BTF's fd must be closed
// once the program is loaded, not left open until the session closes (a
// comparison run loads thousands). Seen through an injected syscall: the fake
// kernel hands out fds from 100 on and records every close().
import { describe, expect, it } from "vitest";
import { KernelSession } from "../../src/kernel/index.ts";
import { BpfCmd } from "../../src/kernel/uapi.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { callLocal, exit, movImm } from "../kernel/hand-asm.ts";
import { fakeNative } from "../kernel/fake-native.ts";

const EACCES = 13;
const RUNS = 20;
// r0 = 0; call sub; exit | sub: r0 = 2; exit
const withSubprogram = [movImm(0, 0), callLocal(1), exit(), movImm(0, 2), exit()];
const functions = [
  { name: "entry", startPc: 0 },
  { name: "sub", startPc: 3 },
];

// `RUNS` verdicts in one session on a fake kernel that answers PROG_LOAD with `progLoadErrno` (0: accept).
function verdictsOnFake(progLoadErrno: number) {
  let nextFd = 100;
  const btfFds: number[] = [];
  const { native, closed } = fakeNative((cmd) => {
    if (cmd === BpfCmd.PROG_LOAD && progLoadErrno !== 0) return { result: -1, errno: progLoadErrno };
    const fd = nextFd++;
    if (cmd === BpfCmd.BTF_LOAD) btfFds.push(fd);
    return { result: fd, errno: 0 };
  });
  const session = KernelSession.open(native);
  const openAfterEach: number[][] = [];
  const accepted: boolean[] = [];
  for (let i = 0; i < RUNS; i++) {
    accepted.push(kernelVerdict(session, withSubprogram, [], { functions }).accepted);
    openAfterEach.push([...session.openFds]);
  }
  const closedBefore = [...closed];
  session.close();
  return { btfFds, openAfterEach, closedBefore, accepted };
}

describe("kernelVerdict releases the synthetic func BTF of a bare program", () => {
  it(`accepted ${RUNS} times: one BTF loaded per run, each closed, nothing left open between runs`, () => {
    const run = verdictsOnFake(0);
    expect(run.accepted).toEqual(Array(RUNS).fill(true));
    expect(run.btfFds).toHaveLength(RUNS);
    expect(run.openAfterEach).toEqual(Array(RUNS).fill([]));
    expect(run.closedBefore).toEqual(expect.arrayContaining(run.btfFds));
  });

  it(`refused ${RUNS} times: the BTF is closed too`, () => {
    const run = verdictsOnFake(EACCES);
    expect(run.accepted).toEqual(Array(RUNS).fill(false));
    expect(run.btfFds).toHaveLength(RUNS);
    expect(run.openAfterEach).toEqual(Array(RUNS).fill([]));
    expect(run.closedBefore).toEqual(expect.arrayContaining(run.btfFds));
  });
});
