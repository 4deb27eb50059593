#!/usr/bin/env bash
# Browser check of the search: builds a demo index, serves it with a Range-capable server,
# and loads test pages in headless Chromium.
#
#   search/tests/browser/run.sh [COPIES]
#
# Needs chromium (apt-get install chromium) and python3. Checks, with a server that honours
# Range and with one that ignores it: the worker answers every case of worker-test.html;
# the search page (page-test.html + search.js) renders hits and facets from the URL state.
# Prints PASS/FAIL lines and the server's request log; exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
copies="${1:-200}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
  echo "error: chromium is not installed" >&2
  echo "help: apt-get install chromium" >&2
  exit 2
fi

site="$work/site"
mkdir -p "$site/static"
cargo run --quiet --manifest-path "$root/Cargo.toml" -p blameless-search --example demo_index -- "$site/search" "$copies"
cp "$root/search-wasm/dist/blameless_search.wasm" "$root/themes/default/static/search-worker.js" \
  "$root/themes/default/static/search.js" "$site/static/"
cp "$here/worker-test.html" "$here/page-test.html" "$site/"

port=$((20000 + RANDOM % 20000))
failed=0

start_server() {
  : > "$work/report.txt"
  python3 "$here/server.py" "$site" "$port" --report "$work/report.txt" "$@" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then return; fi
    sleep 0.1
  done
  echo "error: the test server did not start" >&2
  exit 2
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# Opens URL in headless Chromium until the page POSTs a report line matching PATTERN
# (or 60 s pass), then closes the browser.
visit() {
  local url="$1" pattern="$2"
  "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --user-data-dir="$(mktemp -d -p "$work")" \
    --remote-debugging-port=0 "$url" > "$work/chromium.log" 2>&1 &
  local browser_pid=$!
  for _ in $(seq 600); do
    if grep -q "$pattern" "$work/report.txt"; then break; fi
    sleep 0.1
  done
  kill "$browser_pid" 2>/dev/null || true
  wait "$browser_pid" 2>/dev/null || true
}

for mode in range ignore-range; do
  if [ "$mode" = "range" ]; then start_server; else start_server --ignore-range; fi
  echo "== worker, server with $mode"
  visit "http://127.0.0.1:$port/worker-test.html" "^DONE"
  cat "$work/report.txt"
  if ! grep -q "^DONE pass=[1-9][0-9]* fail=0" "$work/report.txt"; then failed=1; echo "FAIL worker checks"; fi
  echo "   requests: $(grep -c 'range=' "$work/server.log" || true) in all, $(grep -c 'range=bytes' "$work/server.log" || true) with Range"

  echo "== search page, server with $mode"
  : > "$work/report.txt"
  visit "http://127.0.0.1:$port/page-test.html?q=dns&severity=SEV-1" "^PAGE"
  cat "$work/report.txt"
  if grep -q '"state":"ready"' "$work/report.txt" && grep -q '"hits":\["/pm/' "$work/report.txt" \
     && grep -q '"facets":\["severity"' "$work/report.txt" && grep -q '"query":"dns"' "$work/report.txt"; then
    echo "PASS search page"
  else
    echo "FAIL search page"; failed=1
  fi
  stop_server
done

if [ "$failed" -ne 0 ]; then
  echo "browser check: FAILED"
  exit 1
fi
echo "browser check: passed"
