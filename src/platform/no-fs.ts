/**
 * Browser and edge builds (dist/browser.js): stands in for ./node.ts so that no Node built-in is
 * reachable. A model given as a file path is an error there; pass a URL, the bytes or an ArrayBuffer.
 */
import { ModelNotFoundError } from '../errors.ts';

export async function readFileBytes(path: string | URL, _maxBytes?: number): Promise<Uint8Array> {
  throw new ModelNotFoundError(`file paths (${String(path)}) need Node, Bun or Deno; pass a URL or the bytes`);
}
