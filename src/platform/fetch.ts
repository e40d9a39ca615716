/** How bytes are fetched from a source string (a model, an image): URLs with fetch(), paths with the file system. */
import { ModelNotFoundError } from '../errors.ts';

const isNodeLike = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** `what` names the source in messages; more than `maxBytes` bytes is an error (ModelNotFoundError). */
export async function fetchBytes(source: string, what = 'model', maxBytes = Infinity): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (/^(https?|data|blob):/i.test(source)) {
    const res = await fetch(source);
    if (!res.ok) throw new ModelNotFoundError(`${what} ${source}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    if (!isNodeLike()) throw new ModelNotFoundError(`${what} ${source}: file paths need Node, Bun or Deno; pass a URL or the bytes`);
    const { readFileBytes } = await import('./node.ts');
    try {
      bytes = await readFileBytes(/^file:/i.test(source) ? new URL(source) : source, maxBytes);
    } catch (e) {
      throw new ModelNotFoundError(`${what} ${source}: ${(e as Error).message}`);
    }
  }
  if (bytes.length > maxBytes) throw new ModelNotFoundError(`${what} ${source}: ${bytes.length} bytes (at most ${maxBytes})`);
  return bytes;
}
