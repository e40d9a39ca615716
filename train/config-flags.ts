/**
 * The model configuration from the trainers' command-line flags (--encoder, --input, --width, --feat,
 * --daa), shared by train/train.ts and train/gpu/arch.ts so that both trainers read the flags alike.
 * The width defaults to the encoder's paper width (ResNet18 64, C3AE 32; the face mesh trunk's is fixed: 16).
 */
import { DEFAULT_CONFIG, validateConfig, type ModelConfig } from '../src/arch.ts';

export interface ConfigFlags {
  encoder?: string;
  input?: string;
  width?: string;
  feat?: string;
  daa?: string;
}

export function configFromFlags(a: ConfigFlags): ModelConfig {
  return validateConfig({
    ...DEFAULT_CONFIG,
    encoder: a.encoder,
    inputSize: Number(a.input),
    width: Number(a.width ?? (a.encoder === 'resnet18' ? 64 : a.encoder === 'facemesh' ? 16 : 32)),
    featDim: Number(a.feat),
    daa: a.daa,
  });
}
