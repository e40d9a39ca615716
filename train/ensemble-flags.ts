/**
 * The ensemble from the evaluators' command-line flags, shared by train/eval.ts and train/eval-robust.ts:
 * `--ensemble FILE[,FILE...] --ensemble-weight W[,W...]` (one weight per file, in order; a single
 * file keeps the historical default weight 0.25), as EstimatorOptions.ensemble takes it.
 */
import type { EnsembleOptions } from '../src/index.ts';

export function ensembleFromFlags(files: string | undefined, weights: string | undefined): EnsembleOptions[] | undefined {
  if (!files) return undefined;
  const models = files.split(',');
  const ws = (weights ?? (models.length === 1 ? '0.25' : '')).split(',').map(Number);
  if (ws.length !== models.length) throw new Error(`--ensemble names ${models.length} files but --ensemble-weight gives ${weights === undefined ? 'none' : ws.length}: one weight per file, in order`);
  return models.map((model, i) => ({ model, weight: ws[i] }));
}

/** The flags' ensemble for a table's text: `file` (weight w), ... */
export function ensembleText(members: readonly EnsembleOptions[]): string {
  return members.map((m) => `\`${String(m.model)}\` (weight ${m.weight})`).join(', ');
}
