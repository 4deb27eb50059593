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
// with hotCacheBytes and wasmBytes apart, and for the last search { rounds }: how many
// times it waited for the network, one round of parallel requests or one lone request, and
// { engineMs }: how long the module itself ran for it (the rest of `ms` is the network).
//
// A query runs in rounds (bl_round): each says which byte ranges of the index it lacks;
// they are fetched together, with a Range header each, and handed to the module
// (bl_supply); the round after the last one answers. So a query waits for about three
// round trips, not one per range. After MAX_ROUNDS the module reads what is still
// missing itself (bl_search), through synchronous XMLHttpRequests (allowed in workers
// only). A server that ignores Range answers 200 with the whole file; it is kept whole.
"use strict";

let exports = null;
let indexUrl = "/search/";
let pending = null; // the bytes of the last fetch_range, until take_fetched copies them
const stats = { requests: 0, bytes: 0, hotCacheBytes: 0, wasmBytes: 0 };
let lone = 0; // requests made one at a time by fetch_range
let engineMs = 0; // time spent in the module's calls for the current search
// The same as blameless_search::MAX_ROUNDS: deeper queries finish with bl_search.
const MAX_ROUNDS = 6;
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
    xhr.open("GET", rangeUrl(name, start, end), false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("Range", "bytes=" + start + "-" + (end - 1));
    xhr.send();
  } catch {
    return -1;
  }
  stats.requests += 1;
  lone += 1;
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

function copyIn(bytes) {
  const ptr = exports.bl_alloc(bytes.length);
  memory().set(bytes, ptr);
  return ptr;
}

// Runs fn on a copy of bytes; returns the status and the parsed output. Status 1 throws.
// Runs `run` and adds its time to the current search's engineMs.
function timed(run) {
  const t0 = performance.now();
  try {
    return run();
  } finally {
    engineMs += performance.now() - t0;
  }
}

function callStatus(fn, bytes) {
  const status = timed(() => fn(copyIn(bytes), bytes.length));
  const out = output();
  if (status === 1) throw new Error(out.error || "the search engine failed");
  return { status, out };
}

function call(fn, bytes) {
  return callStatus(fn, bytes).out;
}

// The address of one range of an index file. why: a browser sends requests for one URL one
// after another (its cache takes them in turn, even with Range headers that differ), so the
// ranges of a round would wait for each other; a query naming the range makes each URL its
// own, and static hosts serve the file whatever the query.
function rangeUrl(file, start, end) {
  return indexUrl + file + "?bytes=" + start + "-" + (end - 1);
}

// Fetches one range a round asked for and hands it to the module.
async function supply(range) {
  const response = await fetch(rangeUrl(range.file, range.start, range.end), {
    headers: { Range: "bytes=" + range.start + "-" + (range.end - 1) },
  });
  if (response.status !== 206 && response.status !== 200) {
    throw new Error("cannot load the search index (HTTP " + response.status + ")");
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  stats.requests += 1;
  stats.bytes += bytes.length;
  const name = encoder.encode(range.file);
  const whole = response.status === 200 ? 1 : 0;
  const status = timed(() => exports.bl_supply(copyIn(name), name.length, range.start, whole, copyIn(bytes), bytes.length));
  if (status !== 0) throw new Error(output().error || "the search engine failed");
}

// Answers a request; `rounds` counts the waits for the network it took.
async function search(request) {
  engineMs = 0;
  const bytes = encoder.encode(JSON.stringify(request || {}));
  let rounds = 0;
  while (rounds < MAX_ROUNDS) {
    const { status, out } = callStatus(exports.bl_round, bytes);
    if (status === 0) return { response: out, rounds };
    rounds += 1;
    await Promise.all(out.need.map(supply));
  }
  const before = lone;
  const response = call(exports.bl_search, bytes);
  return { response, rounds: rounds + lone - before };
}

async function init(wasmUrl, baseUrl) {
  indexUrl = new URL(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/", self.location.href).href;
  // why: the module and the hot cache come in parallel, and the module compiles while it
  // downloads; the first query waits for the slower of the two, not for both in turn.
  // The file names of the segment are content hashes, but hotcache.bin's is not.
  const hot = fetch(indexUrl + "hotcache.bin", { cache: "no-cache" }).then(async (response) => {
    if (!response.ok) throw new Error("cannot load the search index (HTTP " + response.status + ")");
    return new Uint8Array(await response.arrayBuffer());
  });
  const imports = { blameless: { fetch_range: fetchRange, take_fetched: takeFetched } };
  const wasm = fetch(wasmUrl).then(async (response) => {
    if (!response.ok) throw new Error("cannot load " + wasmUrl + " (HTTP " + response.status + ")");
    stats.wasmBytes = Number(response.headers.get("Content-Length")) || 0;
    if (WebAssembly.instantiateStreaming && (response.headers.get("Content-Type") || "").startsWith("application/wasm")) {
      return (await WebAssembly.instantiateStreaming(response, imports)).instance;
    }
    const bytes = await response.arrayBuffer();
    stats.wasmBytes = bytes.byteLength;
    return (await WebAssembly.instantiate(bytes, imports)).instance;
  });
  const [instance, hotBytes] = await Promise.all([wasm, hot]);
  exports = instance.exports;
  stats.hotCacheBytes = hotBytes.length;
  call(exports.bl_open, hotBytes);
}

function snapshot(rounds) {
  return {
    requests: stats.requests,
    bytes: stats.bytes,
    hotCacheBytes: stats.hotCacheBytes,
    wasmBytes: stats.wasmBytes,
    rounds,
    engineMs,
  };
}

self.onmessage = async (event) => {
  const msg = event.data || {};
  if (msg.type === "init") {
    ready = init(msg.wasm, msg.index || "/search/");
    try {
      await ready;
      self.postMessage({ type: "ready", stats: snapshot(0) });
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
      const { response, rounds } = await search(msg.request);
      const ms = performance.now() - t0;
      self.postMessage({ type: "result", id: msg.id, response, stats: snapshot(rounds), ms });
    } catch (e) {
      // why: a trap (a bug, or memory exhausted) leaves the module unusable; say so.
      self.postMessage({ type: "error", id: msg.id, message: String(e && e.message ? e.message : e) });
    }
  }
};
