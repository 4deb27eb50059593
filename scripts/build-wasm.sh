#!/usr/bin/env bash
# Rebuilds the browser search engine, search-wasm/dist/blameless_search.wasm, reproducibly:
# the same source, toolchain and binaryen give the same bytes.
#
#   scripts/build-wasm.sh          rebuild and replace the committed module
#   scripts/build-wasm.sh --check  rebuild into a temporary file; exit 1 if it differs
#                                  from the committed module (CI runs this)
#
# Needs: the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown)
# and npm, which installs the pinned binaryen (wasm-opt) into target/tools on first use.
# search-wasm/dist/BUILD-INFO records the versions the committed module was built with;
# another rustc may give other bytes, and --check says so.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crate="$root/search-wasm"
dist="$crate/dist"
out_name="blameless_search.wasm"

mode="build"
case "${1:-}" in
  "") ;;
  --check) mode="check" ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "error: unknown argument \`$1\` (expected nothing or \`--check\`)" >&2; exit 2 ;;
esac

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "error: the wasm32-unknown-unknown target is not installed" >&2
  echo "help: rustup target add wasm32-unknown-unknown" >&2
  exit 2
fi
# why: binaryen 132 takes about 11 KB (gzipped) more off the module than Debian's 108. Its
# npm package ships wasm-opt compiled to wasm, run by Node.js; pinned, so the bytes hold.
binaryen_version="132.0.0"
tools="$root/target/tools/binaryen-$binaryen_version"
wasm_opt="$tools/node_modules/.bin/wasm-opt"
if [ ! -x "$wasm_opt" ]; then
  if ! command -v npm >/dev/null; then
    echo "error: npm is needed to install binaryen $binaryen_version (wasm-opt)" >&2
    echo "help: apt-get install npm" >&2
    exit 2
  fi
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
    "binaryen@$binaryen_version" >&2
fi

rustc_version="$(rustc --version)"
wasm_opt_version="$("$wasm_opt" --version)"
sysroot="$(rustc --print sysroot)"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"

# why: cargo hashes a path dependency's location into its symbols, which moves code around;
# build from a copy at a fixed place so the bytes do not depend on where the checkout is.
# The copy gets fresh times (tar -m) so that cargo never takes an older copy for built.
build_root="/tmp/blameless-wasm-build"
mkdir -p "$build_root"
exec 9>"$build_root/lock"
flock 9
rm -rf "$build_root/src"
mkdir -p "$build_root/src"
tar -C "$root" --exclude=target --exclude=dist -cf - search search-wasm | tar -C "$build_root/src" -xmf -
crate="$build_root/src/search-wasm"
target_dir="$build_root/target"

# why: paths of this machine end up in panic locations; map them to fixed names so that
# the module does not depend on where the repository, the registry or rustup live.
rustflags=(
  --cfg 'getrandom_backend="custom"'
  "--remap-path-prefix=$build_root/src=/blameless"
  "--remap-path-prefix=$cargo_home=/cargo"
  "--remap-path-prefix=$sysroot=/rustc-sysroot"
  "--remap-path-prefix=$target_dir=/target"
  -C target-cpu=generic
)
# why: a registry's sources sit in a folder named after its host; map each one to /crates,
# fetched first so that the folders exist on a fresh machine. Later flags win in rustc.
cargo fetch --manifest-path "$crate/Cargo.toml" --locked --target wasm32-unknown-unknown --quiet
for registry in "$cargo_home"/registry/src/*/; do
  rustflags+=("--remap-path-prefix=${registry%/}=/crates")
done
encoded="$(printf '%s\x1f' "${rustflags[@]}")"
export CARGO_ENCODED_RUSTFLAGS="${encoded%$'\x1f'}"
unset RUSTFLAGS
export SOURCE_DATE_EPOCH=0
export CARGO_INCREMENTAL=0

cargo build --manifest-path "$crate/Cargo.toml" --locked --release \
  --target wasm32-unknown-unknown --target-dir "$target_dir" --quiet

raw="$target_dir/wasm32-unknown-unknown/release/blameless_search_wasm.wasm"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# why: the features rustc enables by default for this target; binaryen must accept them
# and may use no others. `--converge` repeats -Oz while it still shrinks the module.
# `--low-memory-unused` lets binaryen fold small constant offsets into loads and stores,
# which is safe when nothing lives in the first 1 KiB: rustc puts the 1 MiB stack first and
# the data above it, so only the deepest end of a full stack is there. The second -Oz, after
# the converged ones and the strip passes, still takes 3 KB off (1.3 KB gzipped); a third
# takes nothing.
"$wasm_opt" -Oz --converge --low-memory-unused --strip-debug --strip-producers -Oz \
  --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
  "$raw" -o "$tmp/$out_name"

info="rustc: $rustc_version
wasm-opt: $wasm_opt_version
raw bytes: $(wc -c < "$raw")
optimized bytes: $(wc -c < "$tmp/$out_name")
gzip -9 bytes: $(gzip -9 -n -c "$tmp/$out_name" | wc -c)"

if [ "$mode" = "check" ]; then
  if cmp -s "$tmp/$out_name" "$dist/$out_name"; then
    echo "search-wasm: $dist/$out_name matches its source"
    exit 0
  fi
  echo "error: search-wasm/dist/$out_name does not match its source" >&2
  echo "built with:" >&2
  sed 's/^/  /' "$dist/BUILD-INFO" >&2 2>/dev/null || true
  echo "rebuilt with:" >&2
  printf '%s\n' "$info" | sed 's/^/  /' >&2
  echo "help: run scripts/build-wasm.sh and commit the result" >&2
  exit 1
fi

mkdir -p "$dist"
cp "$tmp/$out_name" "$dist/$out_name"
printf '%s\n' "$info" > "$dist/BUILD-INFO"
printf '%s\n' "$info"
