/**
 * The detector's weights are a chunk of their own (src/generated/detector.*.ts), imported by the
 * estimators that detect faces only: a process whose one estimator is created with crop 'chip' never
 * imports it and places no detector, and one with the default crop does both. Each case runs in a
 * fresh Node process with a resolve hook that logs the generated modules it imports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(crop: 'chip' | 'auto'): { imported: string[]; detectorMemoryBytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'daa-lazy-'));
  const log = join(dir, 'imports.log');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/detect/fixtures/import-log.mjs', 'test/detect/fixtures/chip-estimator.ts', crop], {
      env: { ...process.env, IMPORT_LOG: log }, encoding: 'utf8', timeout: 120_000,
    });
    assert.is(r.status, 0, `child (crop ${crop}) failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { detectorMemoryBytes: number };
    const imported = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((u) => u.replace(/^.*\/src\/generated\//, '')) : [];
    return { imported, detectorMemoryBytes: out.detectorMemoryBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("crop 'chip': the detector's chunk is never imported and no detector is placed", () => {
  const r = run('chip');
  assert.ok(r.imported.some((u) => u.startsWith('kernel.simd')), `the hook saw the kernel chunk (imported: ${r.imported.join(', ')})`);
  assert.not.ok(r.imported.some((u) => u.startsWith('detector.')), `imported: ${r.imported.join(', ')}`);
  assert.is(r.detectorMemoryBytes, 0);
});

test("the default crop ('auto'): the detector's chunk is imported and the detector placed", () => {
  const r = run('auto');
  assert.ok(r.imported.some((u) => u.startsWith('detector.')), `imported: ${r.imported.join(', ')}`);
  assert.ok(r.detectorMemoryBytes > 0);
});

test.run();
