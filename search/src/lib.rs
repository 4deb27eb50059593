//! Search schema and query engine shared by the site build, the CLI and the wasm engine.
