/** Typed errors: every error daa-wasm throws on purpose is a DaaError with a stable `code`. */

export type DaaErrorCode =
  | 'WEIGHTS_MAGIC'
  | 'WEIGHTS_VERSION'
  | 'WEIGHTS_TRUNCATED'
  | 'WEIGHTS_CHECKSUM'
  | 'WEIGHTS_CONFIG'
  | 'WEIGHTS_TABLE'
  | 'WEIGHTS_TENSOR'
  | 'WEIGHTS_SIZE'
  | 'IMAGE_TYPE'
  | 'IMAGE_SIZE'
  | 'IMAGE_DATA'
  | 'OPTIONS'
  | 'NO_MODEL'
  | 'MODEL_LOAD'
  | 'MEMORY'
  | 'DISPOSED'
  | 'WASM'
  | 'FACE_DATA'
  | 'NO_FACE';

export class DaaError extends Error {
  readonly code: DaaErrorCode;
  constructor(code: DaaErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A weight file is malformed: the code says which check failed. Nothing of the file was used. */
export class WeightFormatError extends DaaError {}
/** The image argument is not a usable image. The estimator stays usable. */
export class ImageInputError extends DaaError {}
/** An option has a wrong type or value. */
export class OptionsError extends DaaError {
  constructor(message: string) {
    super('OPTIONS', message);
  }
}
/** A face given to the tracker (by a detect, refine or estimate function, or to observe()) is malformed. */
export class FaceInputError extends DaaError {
  constructor(message: string) {
    super('FACE_DATA', message);
  }
}
/** No trained model is available under that name or source. */
export class ModelNotFoundError extends DaaError {
  constructor(message: string) {
    super('NO_MODEL', message);
  }
}
/** The estimator was disposed. */
export class DisposedError extends DaaError {
  constructor() {
    super('DISPOSED', 'this estimator has been disposed; create a new one with createEstimator()');
  }
}
/** The image holds no face the detector finds (at the score threshold in use); no age is given. */
export class NoFaceError extends DaaError {
  constructor(message = 'no face found in the image') {
    super('NO_FACE', message);
  }
}

/**
 * The DaaError of the class `name` (a DaaError that crossed a message channel as name, code and
 * message): a Web Worker's OptionsError is an OptionsError on the page too.
 */
export function reviveError(name: string, code: string | null, message: string): DaaError {
  const c = (code ?? 'WASM') as DaaErrorCode;
  let e: DaaError;
  if (name === 'WeightFormatError') e = new WeightFormatError(c, message);
  else if (name === 'ImageInputError') e = new ImageInputError(c, message);
  else if (name === 'OptionsError') e = new OptionsError(message);
  else if (name === 'ModelNotFoundError') e = new ModelNotFoundError(message);
  else if (name === 'NoFaceError') e = new NoFaceError(message);
  else if (name === 'FaceInputError') e = new FaceInputError(message);
  else if (name === 'DisposedError') {
    e = new DisposedError();
    e.message = message;
  } else {
    e = new DaaError(c, message);
    e.name = name;
  }
  return e;
}
