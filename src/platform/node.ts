/** Node (and Bun, Deno with node: specifiers): read a file (weights, an image) from a path or file: URL. */
import { readFile, stat } from 'node:fs/promises';

/** The file's bytes; a file over maxBytes is refused before it is read. */
export async function readFileBytes(path: string | URL, maxBytes = Infinity): Promise<Uint8Array> {
  if (maxBytes !== Infinity) {
    const { size } = await stat(path);
    if (size > maxBytes) throw new Error(`the file has ${size} bytes (at most ${maxBytes})`);
  }
  return new Uint8Array(await readFile(path));
}
