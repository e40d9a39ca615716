// Training kernels for tfjs-backend-wasm (build/daa.train.wasm, built by scripts/build-train-wasm.mjs).
// A separate entry from the inference library (assembly/index.ts). Compiled with --enable simd,
// --runtime stub, --importMemory: no data segment, no start function, no mutable global, so it can
// be instantiated on tfjs-wasm's own WebAssembly.Memory and work on tensors in place.
export { pad_nhwc, conv2d_backprop_filter } from "./conv-filter-grad";
export { depthwise_backprop_filter, depthwise_backprop_input } from "./depthwise-grad";
export { reduce_sum_mrn, broadcast_mrn, batchnorm_grad, batchnorm_fwd, relu6_grad, avgpool2_grad, prelu_grad, maxpool2_grad } from "./ops";
