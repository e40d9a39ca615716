import { createEstimator } from './src/index.ts';
import { background, pasteChip } from './train/canvas.ts';
const est = await createEstimator();
const det = (est as any).detector;
const orig = det.runWindow.bind(det);
let runs = 0; det.runWindow = (...a: any[]) => { runs++; return orig(...a); };
for (const kind of ['flat', 'noise', 'gradient'] as const) {
  const img = { data: background(kind, 640, 480, 3), width: 640, height: 480 };
  runs = 0; const t0 = performance.now(); est.detectFaces(img); console.log(kind, 'runs', runs, (performance.now() - t0).toFixed(1), 'ms', det.windows(640, 480, 32).length, 'windows');
}
