/**
 * The DAA model family (facial age estimation, Delta Age AdaIN): encoder + head planned as data
 * (./plan.ts, ./head.ts), placed and run per call (./model.ts), int8 calibration (./calibrate.ts).
 * Its architecture description (encoders, weight names, shapes) is src/arch.ts, shared with train/.
 */
export { calibrate, calibrationImages } from './calibrate.ts';
export { binaryStyles, foldDecoder, type HeadMode } from './head.ts';
export { DaaModel, type DaaRunOptions } from './model.ts';
export { daaCost, defaultHead, headSteps, planDaa, type DaaPlan } from './plan.ts';
