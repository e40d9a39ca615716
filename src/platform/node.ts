/** Node (and Bun, Deno with node: specifiers): read a weight file from a path or file: URL. */
import { readFile } from 'node:fs/promises';

export async function readFileBytes(path: string | URL): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
