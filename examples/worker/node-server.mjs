// The same edge function (worker.js) behind a plain Node HTTP server, for hosts that are not workerd:
//   node node-server.mjs [port]   then POST a face to http://127.0.0.1:8788/
// A node:http request becomes a fetch Request, worker.js answers it, the Response is written back.
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import worker from './worker.js';

const port = Number(process.argv[2] ?? 8788);
const server = createServer(async (req, res) => {
  try {
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Readable.toWeb(req);
    const request = new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers: req.headers, body, duplex: 'half' });
    const response = await worker.fetch(request, {});
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(e?.message ?? e) }));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`daa-wasm example on http://127.0.0.1:${port}/ (POST a JPEG or PNG face crop)`));
