// Runs every test file (test/**/*.test.ts) with uvu under tsx, in one process, and closes with the
// plain summary line "N passed, N failed, N skipped" that CI reads. Exit code: uvu's.
// Usage: node scripts/run-tests.mjs [dir] [pattern]   e.g. node scripts/run-tests.mjs test/kernels
import { spawn } from 'node:child_process';

const dir = process.argv[2] ?? 'test';
const pattern = process.argv[3] ?? '.test.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  out += d.toString();
});
child.on('close', (code) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  console.log(`\n${passed} passed, ${total - passed - skipped} failed, ${skipped} skipped`);
  process.exit(code ?? 1);
});
