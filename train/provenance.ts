/**
 * The provenance a shipped weight file carries in `meta`: what was trained, how and on what, and its
 * validation metrics, in about a kilobyte. The per-epoch history stays in the run's committed
 * checkpoint.json (train/runs/<run>/), where the model card (train/model-card.ts) reads it; machine
 * paths (the data folder) are never written.
 */

/** train.ts and train/gpu/train_daa.py options that do not change the result (bookkeeping, paths) and are not shipped */
const NOT_RECIPE = new Set(['data', 'out', 'resume', 'ckpt-steps', 'save-every', 'threads', 'backend', 'time_limit', 'time_budget', 'limit', 'trainer']);
/** the PyTorch trainer's name in a run's options (train/gpu/import.ts writes it) */
const GPU_TRAINER = 'train/gpu/train_daa.py';

/** the recipe part of a run's train.ts options */
export function recipeOf(options: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([k]) => !NOT_RECIPE.has(k)));
}

/** the command that trains the run again (with the data folder left to the default or the reader) */
export function trainCommand(options: Record<string, unknown> | undefined): string {
  const o = options ?? {};
  if (o.trainer === GPU_TRAINER) {
    // python argparse flags use '-'; the arch JSON comes from train/gpu/arch.ts, the pack from train/gpu/pack.ts + pack.py
    const flags = Object.entries(recipeOf(o))
      .filter(([k]) => k !== 'arch')
      .map(([k, v]) => `--${k.replace(/_/g, '-')} ${String(v)}`);
    return `python3 ${GPU_TRAINER} --arch ${String(o.arch)} --data .gpu/utk-train-96.json --out OUT ${flags.join(' ')}`;
  }
  const flags = Object.entries(o)
    .filter(([k, v]) => !NOT_RECIPE.has(k) || k === 'out')
    .filter(([, v]) => v !== false && v !== undefined)
    .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${String(v)}`));
  return `npm run train -- ${flags.join(' ')}`;
}

/**
 * A full provenance record (ship.ts's, or an older file's meta) reduced to what ships: every field
 * but the history, the options replaced by the recipe and the command, the same for the run it was
 * initialised from. Tensors are not touched; `activationScales` and `calibration` stay as they are.
 */
export function compactProvenance(meta: Record<string, unknown>): Record<string, unknown> {
  const { history, options, initialisedFrom, trainSeconds, ...rest } = meta as Record<string, unknown> & { options?: Record<string, unknown> };
  void history;
  void trainSeconds;
  const out: Record<string, unknown> = { ...rest };
  if (options) Object.assign(out, { command: trainCommand(options), options: recipeOf(options) });
  if (initialisedFrom && typeof initialisedFrom === 'object') {
    const { history: h, options: o, ...init } = initialisedFrom as Record<string, unknown> & { options?: Record<string, unknown> };
    void h;
    out.initialisedFrom = { ...init, ...(o ? { command: trainCommand(o), options: recipeOf(o) } : {}) };
  }
  return out;
}
