// Compiling with a time limit: the offload compiler runs in a worker thread
// and this thread waits for it synchronously (Atomics.wait, then
// receiveMessageOnPort), so a compiler that never finishes on some program
// becomes a reported failure ("did not finish within 20 s") instead of a
// suite that hangs. A worker that timed out is terminated and replaced.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { PlanRequest, PlanResponse } from "./plan-compile.ts";

export const DEFAULT_COMPILE_TIMEOUT_MS = 20_000;
// Starting a worker loads the compiler through tsx: allow for a busy machine.
const STARTUP_TIMEOUT_MS = 60_000;

interface Live {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly signal: Int32Array;
}

export class GuardedCompiler {
  private live: Live | undefined;

  constructor(readonly timeoutMs: number = DEFAULT_COMPILE_TIMEOUT_MS) {}

  compile(request: PlanRequest): PlanResponse {
    const live = this.live ?? this.start();
    Atomics.store(live.signal, 0, 0);
    live.worker.postMessage(request);
    const waited = Atomics.wait(live.signal, 0, 0, this.timeoutMs);
    const message = receiveMessageOnPort(live.port);
    if (waited === "timed-out" || message === undefined) {
      this.stop();
      return { kind: "failed", error: `the offload compiler did not finish within ${this.timeoutMs / 1000} s on this plan (it hangs)` };
    }
    return message.message as PlanResponse;
  }

  stop(): void {
    if (this.live) void this.live.worker.terminate();
    this.live = undefined;
  }

  private start(): Live {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const tsxApi = import.meta.resolve("tsx/esm/api");
    const moduleUrl = new URL("./plan-compile.ts", import.meta.url).href;
    const bootstrap = `
      const { parentPort, workerData } = require("node:worker_threads");
      const { port, signal } = workerData;
      const done = () => { Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); };
      import(${JSON.stringify(tsxApi)}).then(async ({ register }) => {
        register();
        const { handle } = await import(${JSON.stringify(moduleUrl)});
        parentPort.on("message", (request) => {
          let response;
          try { response = handle(request); } catch (e) { response = { kind: "failed", error: String(e && e.stack || e) }; }
          port.postMessage(response);
          done();
        });
        done();
      });
    `;
    const worker = new Worker(bootstrap, { eval: true, workerData: { port: port2, signal }, transferList: [port2] });
    worker.unref();
    if (Atomics.wait(signal, 0, 0, STARTUP_TIMEOUT_MS) === "timed-out") {
      void worker.terminate();
      throw new Error(`the compiler worker did not start within ${STARTUP_TIMEOUT_MS / 1000} s`);
    }
    this.live = { worker, port: port1, signal };
    return this.live;
  }
}
