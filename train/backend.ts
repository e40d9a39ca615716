/**
 * Pick the fastest TensorFlow.js backend this machine has, at run time:
 *   @tensorflow/tfjs-node-gpu (CUDA) -> @tensorflow/tfjs-node -> @tensorflow/tfjs-backend-wasm -> cpu.
 * The two node packages download libtensorflow when installed (impossible offline), so they are
 * optional peer dependencies, imported dynamically and only used where they load.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ name);
    return true;
  } catch {
    return false;
  }
}

export async function selectBackend(choice: BackendChoice = 'auto', threads = 1): Promise<string> {
  const order: BackendChoice[] = choice === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [choice];
  for (const b of order) {
    if (b === 'node-gpu' && (await tryImport('@tensorflow/tfjs-node-gpu')) && (await tf.setBackend('tensorflow'))) return 'tfjs-node-gpu';
    if (b === 'node' && (await tryImport('@tensorflow/tfjs-node')) && (await tf.setBackend('tensorflow'))) return 'tfjs-node';
    if (b === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(threads);
      if (await tf.setBackend('wasm')) return 'wasm';
    }
    if (b === 'cpu' && (await tf.setBackend('cpu'))) return 'cpu';
  }
  throw new Error(`backend ${choice} is not available`);
}
