// Search page behaviour: runs queries in the search worker and renders the answers.
// Without JavaScript the form still submits to the same URL; the state lives in the URL
// (?q=&severity=&status=&tag=&service=&cause=&since=&until=&sort=), so a search can be
// linked, and back/forward replay it.
//
// HTML contract (ids are required, the rest is free):
//   <form id="search-form" action="" method="get" role="search">
//     <input type="search" name="q">            (also: since, until, sort fields, optional)
//   </form>
//   <p id="search-status" role="status" aria-live="polite"></p>
//   <div id="search-facets"></div>
//   <ol id="search-results"></ol>
//   <script src="search.js" defer
//     data-worker="/static/search-worker.js" data-wasm="/static/blameless_search.wasm"
//     data-index="/search/" data-pm="/pm/"></script>
// Rendered markup: li.search-hit > a.search-hit-title + p.search-hit-meta + p.search-hit-snippet
// (with <mark>); #search-facets > section.search-facet[data-field] > h2 + ul > li > a
// (aria-current="true" when the filter is on); a p.search-notice after the status for each
// value that names nothing in the archive, its suggestions as links; a button.search-more
// after the list when more hits exist. The body gets data-search-state="loading|ready|error",
// and data-search-rounds: how many times the last search waited for the network.
//
// The engine decides, the page only shows: which filter value names which facet value
// (response.filters: `p1` names `SEV-1`), the order of the facets (a scale by rank), the
// slugs of severities and statuses, and what to say about an unknown value
// (response.unknown). Nothing here derives a slug, an order or a spelling.
"use strict";

(function () {
  const script = document.currentScript;
  const form = document.getElementById("search-form");
  const results = document.getElementById("search-results");
  const facetsBox = document.getElementById("search-facets");
  const statusBox = document.getElementById("search-status");
  if (!script || !form || !results || !statusBox) return;
  const cfg = script.dataset;
  // The theme's colour of each severity, by slug, as the site's pages give it.
  const colours = JSON.parse(cfg.severityColours || "{}");
  const pmBase = cfg.pm || "/pm/";
  const FILTERS = ["severity", "status", "tag", "service", "cause"];
  const LABELS = { severity: "Severity", status: "Status", tag: "Tags", service: "Services", cause: "Causes", detection: "Detection" };
  const PAGE = 10;
  const input = form.querySelector('[name="q"]');

  // A page opened from disk cannot load the engine: browsers refuse workers and range
  // requests on file:// URLs. Say how to serve the site instead of failing silently.
  if (location.protocol === "file:") {
    setState("error");
    statusBox.textContent = "Search needs the site served over HTTP: run `blameless serve` in the archive, " +
      "or `python3 -m http.server` in the site's folder, and open the page from there.";
    return;
  }
  // The worker resolves URLs against its own location: hand it absolute ones.
  const absolute = (url) => new URL(url, document.baseURI).href;
  const worker = new Worker(absolute(cfg.worker || "/static/search-worker.js"));
  worker.postMessage({
    type: "init",
    wasm: absolute(cfg.wasm || "/static/blameless_search.wasm"),
    index: absolute(cfg.index || "/search/"),
  });
  let nextId = 1;
  let latest = 0;
  const waiting = new Map();
  worker.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === "ready") return;
    if (msg.type === "error" && msg.id === undefined) {
      setState("error");
      statusBox.textContent = "Search is unavailable: " + msg.message + ".";
      return;
    }
    const done = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (done) done(msg);
  };
  function ask(request) {
    const id = nextId++;
    worker.postMessage({ type: "search", id, request });
    return new Promise((resolve) => waiting.set(id, resolve)).then((msg) => ({ id, msg }));
  }

  // --- URL state -------------------------------------------------------------------
  function readState(search) {
    const params = new URLSearchParams(search);
    const state = { q: params.get("q") || "", since: params.get("since") || "", until: params.get("until") || "", sort: params.get("sort") || "" };
    for (const f of FILTERS) state[f] = params.getAll(f).filter((v) => v !== "");
    return state;
  }
  function writeUrl(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    for (const f of FILTERS) for (const v of state[f]) params.append(f, v);
    for (const k of ["since", "until", "sort"]) if (state[k]) params.set(k, state[k]);
    const query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }
  // Reads `2024`, `2024-03` or `2024-03-12` (UTC) as [start, end) in unix seconds.
  function dateSpan(text) {
    const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text.trim());
    if (!m) return null;
    const y = +m[1], mo = m[2] ? +m[2] - 1 : 0, d = m[3] ? +m[3] : 1;
    if (mo > 11 || d < 1 || d > 31) return null;
    const start = Date.UTC(y, mo, d);
    const end = m[3] ? Date.UTC(y, mo, d + 1) : m[2] ? Date.UTC(y, mo + 1, 1) : Date.UTC(y + 1, 0, 1);
    return [start / 1000, end / 1000];
  }
  function toRequest(state, offset) {
    const req = { q: state.q, limit: PAGE, offset: offset || 0, sort: state.sort === "newest" ? "newest" : "relevance" };
    for (const f of FILTERS) req[f] = state[f];
    const since = state.since ? dateSpan(state.since) : null;
    const until = state.until ? dateSpan(state.until) : null;
    if (since) req.since = since[0];
    if (until) req.until = until[1];
    return req;
  }
  function fillForm(state) {
    for (const el of form.elements) {
      if (el.name && el.name in state && typeof state[el.name] === "string") {
        el.value = el.name === "sort" ? state.sort || "relevance" : state[el.name];
      }
    }
  }

  // --- rendering -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }
  function setState(s) {
    document.body.dataset.searchState = s;
  }
  function describe(state) {
    const parts = [];
    if (state.q) parts.push("“" + state.q + "”");
    for (const f of FILTERS) if (state[f].length) parts.push(f + ": " + state[f].join(" or "));
    if (state.since) parts.push("since " + state.since);
    if (state.until) parts.push("until " + state.until);
    return parts.join(", ");
  }
  // The state with `givens` (the filter values that name a facet value) taken out of
  // `field`, or with `value` added when nothing names it yet.
  function toggled(state, field, value, givens) {
    const next = JSON.parse(JSON.stringify(state));
    if (givens.length) next[field] = next[field].filter((v) => !givens.includes(v));
    else next[field].push(value);
    return next;
  }
  function replaced(state, field, given, value) {
    const next = JSON.parse(JSON.stringify(state));
    next[field] = next[field].map((v) => (v === given ? value : v));
    return next;
  }
  // Each active filter as a chip that removes it.
  function renderChips(state) {
    const chips = [];
    const chip = (label, next) => {
      const a = el("a", { class: "search-chip", href: writeUrl(next), "aria-label": "Remove filter " + label }, label, el("span", { "aria-hidden": "true" }, "×"));
      a.addEventListener("click", (e) => { e.preventDefault(); go(next, true); });
      chips.push(el("li", {}, a));
    };
    for (const f of FILTERS) {
      for (const v of state[f]) {
        const next = JSON.parse(JSON.stringify(state));
        next[f] = next[f].filter((x) => x !== v);
        chip((LABELS[f] || f) + ": " + v, next);
      }
    }
    for (const k of ["since", "until"]) {
      if (!state[k]) continue;
      const next = Object.assign({}, state, { [k]: "" });
      chip(k + " " + state[k], next);
    }
    return el("ul", { class: "search-chips", "aria-label": "Active filters" }, ...chips);
  }
  function hitNode(hit) {
    const date = new Date(hit.started * 1000).toISOString().slice(0, 10);
    const meta = el("p", { class: "search-hit-meta" },
      el("span", { class: "sev" + (hit.severity_slug in colours ? " sev-c" + colours[hit.severity_slug] : "") }, hit.severity),
      el("span", { class: "status status-" + hit.status_slug }, hit.status),
      el("time", { datetime: date }, date));
    if (hit.services.length) meta.append(el("span", { class: "search-hit-services" }, hit.services.join(", ")));
    const page = pmBase + encodeURIComponent(hit.id) + "/";
    const snippet = el("p", { class: "search-hit-snippet" });
    if (hit.section && hit.anchor) {
      snippet.append(el("a", { class: "search-hit-section", href: page + "#" + encodeURIComponent(hit.anchor) }, hit.section), " ");
    }
    const text = el("span");
    text.innerHTML = hit.snippet_html; // why: escaped by the engine, with <mark> only
    snippet.append(text);
    return el("li", { class: "search-hit" },
      el("a", { class: "search-hit-title", href: page }, hit.title),
      meta,
      snippet);
  }
  function renderFacets(state, res) {
    if (!facetsBox) return;
    facetsBox.replaceChildren();
    for (const field of FILTERS) {
      const values = res.facets[field] || [];
      // What each chosen value names: `p1` -> `SEV-1`; an unknown value names itself.
      const givens = new Map();
      for (const f of res.filters) if (f.field === field) givens.set(f.value, (givens.get(f.value) || []).concat(f.given));
      for (const u of res.unknown) if (u.field === field && !u.in_query) givens.set(u.value, [u.value]);
      if (!values.length && !givens.size) continue;
      const list = el("ul");
      const shown = new Set();
      for (const { value, count } of values) {
        shown.add(value);
        list.append(facetItem(state, field, value, count, givens.get(value) || []));
      }
      for (const [value, given] of givens) if (!shown.has(value)) list.append(facetItem(state, field, value, 0, given));
      facetsBox.append(el("section", { class: "search-facet", "data-field": field }, el("h2", {}, LABELS[field]), list));
    }
  }
  function facetItem(state, field, value, count, givens) {
    const next = toggled(state, field, value, givens);
    const a = el("a", { href: writeUrl(next) }, value + " (" + count + ")");
    if (givens.length) a.setAttribute("aria-current", "true");
    a.addEventListener("click", (e) => { e.preventDefault(); go(next, true); });
    return el("li", {}, a);
  }
  // One notice per value that names nothing: the engine's message, with its `values` as
  // code and each suggestion as a link that searches with it instead.
  function renderUnknown(state, unknown) {
    return unknown.map((u) => {
      const targets = new Map();
      for (const s of u.suggestions) {
        const next = u.in_query ? (s.q === null ? null : Object.assign(JSON.parse(JSON.stringify(state)), { q: s.q })) : replaced(state, u.field, u.value, s.value);
        if (next) targets.set(s.value, next);
      }
      const p = el("p", { class: "search-notice attention" });
      u.message.split("`").forEach((part, i) => {
        if (i === 0) part = part.charAt(0).toUpperCase() + part.slice(1);
        if (i % 2 === 0) { p.append(part); return; }
        const next = i > 1 ? targets.get(part) : undefined;
        if (!next) { p.append(el("code", {}, part)); return; }
        const a = el("a", { href: writeUrl(next) }, el("code", {}, part));
        a.addEventListener("click", (e) => { e.preventDefault(); go(next, true); });
        p.append(a);
      });
      if (!u.message.endsWith("?")) p.append(".");
      return p;
    });
  }
  function renderEmpty(state) {
    const active = FILTERS.filter((f) => state[f].length);
    const p = el("p", { class: "search-empty" }, "No post-mortems match " + (describe(state) || "this search") + ".");
    if (active.length || state.since || state.until) {
      const clear = JSON.parse(JSON.stringify(state));
      for (const f of FILTERS) clear[f] = [];
      clear.since = ""; clear.until = "";
      const a = el("a", { href: writeUrl(clear) }, "search without filters");
      a.addEventListener("click", (e) => { e.preventDefault(); go(clear, true); });
      p.append(" Try to ", a, ".");
    } else if (state.q) {
      p.append(" Try fewer or different words.");
    }
    results.replaceChildren(el("li", { class: "search-none" }, p));
  }
  // "Also searched for certificate", with a link to the words exactly as typed.
  function renderAlso(state, also) {
    const exact = Object.assign({}, state, {
      q: state.q.split(/\s+/).filter((w) => w).map((w) => (/^[\w.-]+$/.test(w) ? '"' + w + '"' : w)).join(" "),
    });
    const a = el("a", { href: writeUrl(exact) }, "search only for what you typed");
    a.addEventListener("click", (e) => { e.preventDefault(); go(exact, true); });
    return el("p", { class: "search-notice" }, "Also searched for " + also.join(", ") + " · ", a);
  }
  function renderError(error) {
    const text = "Your query could not be read: " + error.message + "." + (error.hint ? " Hint: " + error.hint + "." : "");
    return el("p", { class: "search-error", role: "alert" }, text);
  }

  // --- running searches -------------------------------------------------------------
  let current = readState(location.search);
  async function run(state) {
    current = state;
    setState("loading");
    statusBox.textContent = "Searching…";
    const { id, msg } = await ask(toRequest(state, 0));
    latest = Math.max(latest, id);
    if (id !== latest || state !== current) return; // a newer search was started
    document.querySelectorAll(".search-error, .search-notice, .search-more, .search-chips").forEach((n) => n.remove());
    if (msg.type === "error") {
      setState("error");
      statusBox.textContent = "Search failed: " + msg.message + ".";
      return;
    }
    const res = msg.response;
    document.body.dataset.searchRounds = String(msg.stats.rounds);
    // why: how much of the wait was the engine rather than the network, for the benchmark.
    document.body.dataset.searchEngineMs = String(Math.round(msg.stats.engineMs || 0));
    setState("ready");
    // why: the time to first results, for the browser benchmark and any page timing.
    if (performance.mark) performance.mark("blameless-search-ready");
    const what = describe(state);
    const every = res.all_words !== null && res.all_words !== undefined && res.total > 0
      ? " (" + res.all_words + " with every word, first)" : "";
    statusBox.textContent = res.total + (res.total === 1 ? " post-mortem" : " post-mortems") + (what ? " for " + what : "") +
      every + (res.fuzzy ? " (no exact match; showing similar spellings)" : "") + ".";
    if (res.also && res.also.length) statusBox.after(renderAlso(state, res.also));
    if (FILTERS.some((f) => state[f].length) || state.since || state.until) statusBox.after(renderChips(state));
    if (res.error) statusBox.after(renderError(res.error));
    statusBox.after(...renderUnknown(state, res.unknown));
    renderFacets(state, res);
    if (res.total === 0) { renderEmpty(state); return; }
    results.replaceChildren(...res.hits.map(hitNode));
    addMore(state, res.total, res.hits.length);
  }
  function addMore(state, total, shown) {
    if (shown >= total) return;
    const button = el("button", { type: "button", class: "search-more" }, "Show more (" + (total - shown) + " left)");
    button.addEventListener("click", async () => {
      button.disabled = true;
      const { msg } = await ask(toRequest(state, shown));
      button.remove();
      if (state !== current || msg.type !== "result") return;
      results.append(...msg.response.hits.map(hitNode));
      addMore(state, total, shown + msg.response.hits.length);
    });
    results.after(button);
  }
  function go(state, push) {
    const url = writeUrl(state);
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    fillForm(state);
    run(state);
  }
  function fromForm() {
    const data = new FormData(form);
    const state = JSON.parse(JSON.stringify(current));
    for (const k of ["q", "since", "until", "sort"]) if (data.has(k)) state[k] = String(data.get(k) || "").trim();
    for (const f of FILTERS) if (data.has(f)) state[f] = data.getAll(f).map(String).filter((v) => v);
    return state;
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); go(fromForm(), true); });
  let timer = null;
  if (input) input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => go(fromForm(), false), 250);
  });
  window.addEventListener("popstate", () => { const s = readState(location.search); fillForm(s); run(s); });
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey && input) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });
  fillForm(current);
  run(current);
})();
