/**
 * Option objects: every name must be known. A misspelt option (`intervall`) is an OptionsError naming
 * it, with the nearest known name, instead of being ignored.
 */
import { OptionsError } from './errors.ts';

/** Edit distance, for the "did you mean" hint (option names are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Throws OptionsError unless `opts` is undefined or an object whose own enumerable names are all in
 * `known`. `what` names the options in the message ('createEstimator options').
 */
export function checkOptionNames(opts: unknown, known: readonly string[], what: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new OptionsError(`${what} must be an object`);
  let names: string[];
  try {
    names = Object.keys(opts);
  } catch (e) {
    throw new OptionsError(`reading ${what} threw: ${(e as Error)?.message ?? String(e)}`);
  }
  for (const k of names) {
    if (known.includes(k)) continue;
    const near = known.map((n) => [n, distance(k.toLowerCase(), n.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
    const hint = near && near[1] <= Math.max(2, k.length >> 2) ? ` (did you mean '${near[0]}'?)` : '';
    throw new OptionsError(`unknown option '${k}' in ${what}${hint}; known: ${known.join(', ')}`);
  }
}

/**
 * `v` when it is a number in min..max (an integer when `integer`), else an OptionsError in the
 * house style: `detectEvery must be an integer in 1..1000, got 0`. `max` Infinity reads `>= min`.
 */
export function checkNumberOption(v: unknown, name: string, min: number, max: number, integer = false): number {
  if (typeof v === 'number' && v >= min && v <= max && (!integer || Number.isInteger(v))) return v;
  const kind = integer ? 'an integer' : 'a number';
  const range = max === Infinity ? `>= ${min}` : `in ${min}..${max}`;
  throw new OptionsError(`${name} must be ${kind} ${range}, got ${typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : typeof v}`);
}
