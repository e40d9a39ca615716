/**
 * The estimator behind the one-call API (`estimate`, `estimateAll`, `detectFaces` of src/index.ts):
 * one of the embedded default model, created on the first call and kept; a failed load is retried on
 * the next call. An entry point whose hosts need another way to create it sets that before the
 * first call (src/platform/workerd.ts: with its imported kernel module).
 */
import { Estimator } from './estimator.ts';

let create: () => Promise<Estimator> = () => Estimator.create();
let shared: Promise<Estimator> | null = null;

/** How the default estimator is created (an entry point's module body calls this, before any estimate). */
export function setDefaultEstimatorFactory(factory: () => Promise<Estimator>): void {
  create = factory;
  shared = null;
}

/** The default estimator, created on first use. */
export function defaultEstimator(): Promise<Estimator> {
  if (!shared) {
    shared = create();
    shared.catch(() => (shared = null));
  }
  return shared;
}
