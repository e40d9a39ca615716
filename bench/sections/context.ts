import type { BenchModel } from '../lib/models.ts';
import type { BackendName } from '../lib/runtime.ts';

export interface Ctx {
  quick: boolean;
  /** kernel builds this runtime and engine accept, best first among the SIMD ones */
  backends: BackendName[];
  models: { c3ae: BenchModel; resnet18: BenchModel };
  img: { data: Uint8ClampedArray; width: number; height: number };
  log: (msg: string) => void;
}

export interface Target {
  name: string;
  value: number | null;
  goal: string;
  pass: boolean | null;
  note?: string;
}

export interface SectionResult {
  key: string;
  title: string;
  md: string;
  json: unknown;
  targets?: Target[];
}

export const r = (quick: boolean, full: number, q: number) => (quick ? q : full);
