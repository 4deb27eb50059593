// The blameless search engine in a Web Worker: runs blameless_search.wasm over the index
// the site build wrote under /search/, reading only the byte ranges a query needs.
//
// Start:   const worker = new Worker("/static/search-worker.js");
//          worker.postMessage({ type: "init", wasm: "/static/blameless_search.wasm", index: "/search/" });
//          -> { type: "ready", stats }            or { type: "error", message }
// Search:  worker.postMessage({ type: "search", id: 1, request: { q: "failover", tag: ["postgres"] } });
//          -> { type: "result", id: 1, response, stats, ms }  or { type: "error", id: 1, message }
// A message { id, request } without `type` is a search too; searches sent before "ready"
// wait for it. `stats` counts what crossed the network: { requests, bytes } in total,
// with hotCacheBytes and wasmBytes apart.
//
// Index bytes come from synchronous XMLHttpRequests with a Range header (allowed in
// workers only), so that the wasm module can read them in the middle of a query. A server
// that ignores Range answers 200 with the whole file; the module then keeps that file.
"use strict";

let exports = null;
let indexUrl = "/search/";
let pending = null; // the bytes of the last fetch_range, until take_fetched copies them
const stats = { requests: 0, bytes: 0, hotCacheBytes: 0, wasmBytes: 0 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let ready = null;

function memory() {
  // why: the memory may grow during any call, which detaches earlier views.
  return new Uint8Array(exports.memory.buffer);
}

function fetchRange(namePtr, nameLen, start, end) {
  const name = decoder.decode(memory().slice(namePtr, namePtr + nameLen));
  const xhr = new XMLHttpRequest();
  try {
    xhr.open("GET", indexUrl + name, false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("Range", "bytes=" + start + "-" + (end - 1));
    xhr.send();
  } catch {
    return -1;
  }
  stats.requests += 1;
  if (xhr.status !== 206 && xhr.status !== 200) return -1;
  const bytes = new Uint8Array(xhr.response);
  stats.bytes += bytes.length;
  pending = { bytes, whole: xhr.status === 200 ? 1 : 0 };
  return bytes.length;
}

function takeFetched(dest, len) {
  if (pending === null || pending.bytes.length !== len) return -1;
  memory().set(pending.bytes, dest);
  const whole = pending.whole;
  pending = null;
  return whole;
}

function output() {
  const ptr = exports.bl_output_ptr();
  const len = exports.bl_output_len();
  return JSON.parse(decoder.decode(memory().slice(ptr, ptr + len)));
}

function call(fn, bytes) {
  const ptr = exports.bl_alloc(bytes.length);
  memory().set(bytes, ptr);
  const status = fn(ptr, bytes.length);
  const out = output();
  if (status !== 0) throw new Error(out.error || "the search engine failed");
  return out;
}

async function init(wasmUrl, baseUrl) {
  indexUrl = new URL(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/", self.location.href).href;
  const wasmResponse = await fetch(wasmUrl);
  if (!wasmResponse.ok) throw new Error("cannot load " + wasmUrl + " (HTTP " + wasmResponse.status + ")");
  const wasmBytes = await wasmResponse.arrayBuffer();
  stats.wasmBytes = wasmBytes.byteLength;
  const { instance } = await WebAssembly.instantiate(wasmBytes, {
    blameless: { fetch_range: fetchRange, take_fetched: takeFetched },
  });
  exports = instance.exports;
  // why: the file names of the segment are content hashes, but these two are not.
  const hot = await fetch(indexUrl + "hotcache.bin", { cache: "no-cache" });
  if (!hot.ok) throw new Error("cannot load the search index (HTTP " + hot.status + ")");
  const hotBytes = new Uint8Array(await hot.arrayBuffer());
  stats.hotCacheBytes = hotBytes.length;
  call(exports.bl_open, hotBytes);
}

function snapshot() {
  return {
    requests: stats.requests,
    bytes: stats.bytes,
    hotCacheBytes: stats.hotCacheBytes,
    wasmBytes: stats.wasmBytes,
  };
}

self.onmessage = async (event) => {
  const msg = event.data || {};
  if (msg.type === "init") {
    ready = init(msg.wasm, msg.index || "/search/");
    try {
      await ready;
      self.postMessage({ type: "ready", stats: snapshot() });
    } catch (e) {
      self.postMessage({ type: "error", message: String(e && e.message ? e.message : e) });
    }
    return;
  }
  if (msg.type === "search" || (msg.type === undefined && msg.request)) {
    try {
      if (ready === null) throw new Error("the search worker was not started (send {type: \"init\"} first)");
      await ready;
      const t0 = performance.now();
      const response = call(exports.bl_search, encoder.encode(JSON.stringify(msg.request || {})));
      const ms = performance.now() - t0;
      self.postMessage({ type: "result", id: msg.id, response, stats: snapshot(), ms });
    } catch (e) {
      // why: a trap (a bug, or memory exhausted) leaves the module unusable; say so.
      self.postMessage({ type: "error", id: msg.id, message: String(e && e.message ? e.message : e) });
    }
  }
};
