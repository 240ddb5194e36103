// Runs jobs in worker threads, one job per worker at a time. Workers run the
// project's TypeScript through tsx, the way bin/run-ts.js does: a small
// bootstrap registers tsx's loader in the worker, then imports the module.
import { Worker } from "node:worker_threads";

export interface WorkerJob<Req> {
  readonly id: number;
  readonly request: Req;
}

// The module a worker imports must export `handle(request): response` (plain data both ways).
export async function runInWorkers<Req, Res>(moduleUrl: string, jobs: readonly Req[], workers: number, onDone?: (index: number, response: Res) => void): Promise<Res[]> {
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `
    const { parentPort } = require("node:worker_threads");
    import(${JSON.stringify(tsxApi)}).then(async ({ register }) => {
      register();
      const { handle } = await import(${JSON.stringify(moduleUrl)});
      parentPort.on("message", async (job) => parentPort.postMessage({ id: job.id, response: await handle(job.request) }));
      parentPort.postMessage({ ready: true });
    });
  `;
  const results: Res[] = new Array(jobs.length);
  let next = 0;
  const count = Math.max(1, Math.min(workers, jobs.length));
  const run = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(bootstrap, { eval: true });
      const feed = (): void => {
        if (next >= jobs.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        const id = next++;
        worker.postMessage({ id, request: jobs[id] });
      };
      worker.on("message", (message: { ready?: boolean; id?: number; response?: Res }) => {
        if (message.ready) return feed();
        results[message.id!] = message.response!;
        onDone?.(message.id!, message.response!);
        feed();
      });
      worker.on("error", reject);
      worker.on("exit", (code) => {
        if (code !== 0 && code !== 1) reject(new Error(`a sweep worker exited with status ${code}`));
      });
    });
  await Promise.all(Array.from({ length: count }, run));
  return results;
}
