/**
 * One worker thread of `daa-wasm --jobs <n>` (src/cli.ts starts them; built to dist/cli-worker.js):
 * its own estimator, made from the run's options (workerData), then one file at a time.
 * Messages: to the CLI first { ready: true } or { fatal: message } (the model did not load), then for
 * each { file } it is sent { result } or { error: message }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { estimateFile, loadError, openEstimator, type ImageResult, type RunOptions } from './cli-records.ts';

export type ToWorker = { file: string };
export type FromWorker = { ready: true } | { fatal: string } | { result: ImageResult } | { error: string };

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const options = workerData as RunOptions;
try {
  const est = await openEstimator(options);
  port.on('message', async ({ file }: ToWorker) => {
    try {
      send({ result: await estimateFile(est, file, options) });
    } catch (e) {
      send({ error: (e as Error).message });
    }
  });
  send({ ready: true });
} catch (e) {
  send({ fatal: loadError(e) });
}
