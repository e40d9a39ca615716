// Runs the uvu test files (test/**/*.test.ts) under tsx, one process per folder of test/ (tfjs keeps
// global state -- backend, registered kernels and gradients -- that must not leak between suites),
// and closes with the plain summary line "N passed, N failed, N skipped" that CI reads.
// Skips: a test registered with test.skip is uvu's "Skipped"; a test that finds at run time that it
// cannot run (no Chromium, no data, an engine without a feature) prints one line "  SKIP: <reason>"
// and returns, which uvu counts as passed: each such line moves one test from passed to skipped.
// Usage: node scripts/run-tests.mjs [dir ...]   e.g. node scripts/run-tests.mjs test/kernels
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : readdirSync('test').map((d) => join('test', d)).filter((d) => statSync(d).isDirectory()).sort();
let passed = 0;
let total = 0;
let skipped = 0;
const failedSuites = [];
const skipReasons = [];
for (const dir of dirs) {
  const hasTests = (d) => readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasTests(join(d, e.name)) : e.name.endsWith('.test.ts')));
  if (!hasTests(dir)) continue;
  console.log(`\n=== ${dir}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, '.test.ts$'], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
  const out = r.stdout.toString();
  process.stdout.write(out);
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
  const selfSkips = plain.match(/^\s*SKIP: .*$/gm) ?? [];
  total += num('Total');
  passed += num('Passed') - selfSkips.length;
  skipped += num('Skipped') + selfSkips.length;
  for (const line of selfSkips) skipReasons.push(`${dir}: ${line.trim().slice(6)}`);
  console.log(`=== ${dir}: ${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${r.status}`);
  if (r.status !== 0) failedSuites.push(dir);
}
if (skipReasons.length) console.log(`\nskipped at run time:\n${skipReasons.map((r) => `  ${r}`).join('\n')}`);
if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
const failed = Math.max(total - passed - skipped, failedSuites.length && total === passed + skipped ? 1 : 0);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedSuites.length ? 1 : 0);
