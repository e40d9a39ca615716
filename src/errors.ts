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
