/**
 * Writes a model's architecture, as src/arch.ts describes it, to JSON for the PyTorch trainer
 * (train/gpu/train_daa.py), which builds its layers from this list: both trainers and the runtime
 * then share one description, with the same op and weight names.
 *
 * Usage: npx tsx train/gpu/arch.ts --encoder resnet18 --width 16 --input 96 [--feat 64] > arch.json
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, encoderGraph } from '../../src/arch.ts';
import { configFromFlags } from '../config-flags.ts';

const { values: a } = parseArgs({
  options: {
    encoder: { type: 'string', default: DEFAULT_CONFIG.encoder },
    width: { type: 'string' },
    input: { type: 'string', default: '96' },
    feat: { type: 'string', default: String(DEFAULT_CONFIG.featDim) },
    daa: { type: 'string', default: DEFAULT_CONFIG.daa },
  },
});
const config = configFromFlags(a);
const g = encoderGraph(config);
process.stdout.write(JSON.stringify({ config, ops: g.ops, out: g.out, shapes: g.shapes }, null, 1) + '\n');
