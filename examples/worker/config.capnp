# Local workerd: node build.mjs && npx workerd serve config.capnp   (then POST to http://127.0.0.1:8787/)
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "age", worker = .ageWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "age") ],
);

const ageWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "daa.simd.wasm", wasm = embed "dist/daa.simd.wasm"),
  ],
  # bindings = [ (name = "MODEL", data = embed "my-model.fp32.daaw") ],
  compatibilityDate = "2025-06-01",
);
