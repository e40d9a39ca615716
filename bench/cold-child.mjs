// Cold start, run in a fresh `node` process by bench/sections/cold.ts (plain JS: no tsx in the way).
// argv: <bundle.mjs> <weight file> <backend|default>. Prints one JSON line of times in ms, each
// measured from this process's time origin (performance.now() = ms since the process started).
const [bundle, weights, backend] = process.argv.slice(2);
const t = { scriptStart: performance.now() };
const { createEstimator } = await import(bundle);
t.imported = performance.now();
const est = await createEstimator({ crop: 'chip', model: weights, ...(backend === 'default' ? {} : { backend }) });
t.created = performance.now();
const side = 128;
const data = new Uint8ClampedArray(side * side * 4);
for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
const img = { data, width: side, height: side };
const r = est.estimate(img);
t.first = performance.now();
est.estimate(img);
t.second = performance.now();
process.stdout.write(JSON.stringify({ ...t, age: r.age, backend: est.backend, memoryBytes: est.memoryBytes() }) + '\n');
