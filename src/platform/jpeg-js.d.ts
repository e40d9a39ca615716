// Types for the decoder and encoder halves of jpeg-js (the package's own index.d.ts covers only 'jpeg-js').
declare module 'jpeg-js/lib/decoder.js' {
  export default function decode(
    data: Uint8Array | ArrayBuffer,
    opts: { useTArray: true; formatAsRGBA?: boolean; maxResolutionInMP?: number; maxMemoryUsageInMB?: number },
  ): { width: number; height: number; data: Uint8Array };
}
declare module 'jpeg-js/lib/encoder.js' {
  export default function encode(
    image: { data: Uint8Array; width: number; height: number },
    quality?: number,
  ): { width: number; height: number; data: Uint8Array };
}
