/** How bytes are fetched from a model source string: URLs with fetch(), paths with the file system. */
import { ModelNotFoundError } from '../errors.ts';

const isNodeLike = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

export async function fetchBytes(source: string): Promise<Uint8Array> {
  if (/^(https?|data|blob):/i.test(source)) {
    const res = await fetch(source);
    if (!res.ok) throw new ModelNotFoundError(`model ${source}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  if (!isNodeLike()) throw new ModelNotFoundError(`model ${source}: file paths need Node, Bun or Deno; pass a URL or the bytes`);
  const { readFileBytes } = await import('./node.ts');
  try {
    return await readFileBytes(/^file:/i.test(source) ? new URL(source) : source);
  } catch (e) {
    throw new ModelNotFoundError(`model ${source}: ${(e as Error).message}`);
  }
}
