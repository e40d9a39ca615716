// f32_pad_channels: the detector's skip path, scalar twin of padchannels.simd.ts.
import { checkPadChannelsArgs, maxPool2Channels } from "./padchannels.common";

/**
 * The skip path of a BlazeBlock: y = x (pool 1) or the 2x2 / stride 2 max pool of x (pool 2), with
 * channels zero-padded from Cin to Cout. x: H x W x Cin f32 (HWC); y: (H / pool) x (W / pool) x Cout;
 * y[.., c] = 0 for Cin <= c < Cout (written on every call). pool 2 needs even H and W (TensorFlow's
 * SAME max pool has no padding then). Max is wasm's f32.max (NaN-propagating). 4-byte alignment.
 */
export function f32_pad_channels__scalar(x: usize, H: i32, W: i32, Cin: i32, y: usize, Cout: i32, pool: i32): void {
  checkPadChannelsArgs(x, H, W, Cin, y, Cout, pool);
  const OH = H / pool, OW = W / pool;
  const ciB = <usize>Cin << 2, coB = <usize>Cout << 2;
  const rowB = <usize>W * ciB;
  let yp = y;
  for (let oy = 0; oy < OH; oy++) {
    let xp = x + <usize>(oy * pool) * rowB;
    for (let ox = 0; ox < OW; ox++) {
      if (pool == 1) {
        for (let c = 0; c < Cin; c++) store<f32>(yp + (<usize>c << 2), load<f32>(xp + (<usize>c << 2)));
      } else {
        maxPool2Channels(xp, ciB, rowB, yp, 0, Cin);
      }
      for (let c = Cin; c < Cout; c++) store<f32>(yp + (<usize>c << 2), 0);
      xp += <usize>pool * ciB;
      yp += coB;
    }
  }
}
