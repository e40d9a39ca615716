// `import m from './x.wasm'`: a compiled WebAssembly.Module (workerd, wrangler; see platform/workerd.ts).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
