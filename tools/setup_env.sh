#!/usr/bin/env bash
# Build qmat's environment in one idempotent command:
#   torch (kept if present) -> mmengine 0.10.7 -> mmcv 2.1.0 compiled from source with qmat's threaded CPU RoIAlign
#   (third_party/mmcv-2.1.0; wheel cached) -> mmdet 3.3.0 -> qmat.
#
# Environment variables:
#   QMAT_VENV          where the virtual environment goes (default: <repo>/.venv)
#   QMAT_PYTHON        interpreter that creates it (default: python3)
#   QMAT_TORCH         pip requirement for torch when the venv has none (default: torch==2.13.0, the CPU build;
#                      a CUDA user sets e.g. QMAT_TORCH=torch==2.5.1 QMAT_TORCH_INDEX=https://download.pytorch.org/whl/cu121)
#   QMAT_TORCH_INDEX   extra index URL for torch (optional)
#   QMAT_CACHE_DIR     where built mmcv wheels are kept (default: ${XDG_CACHE_HOME:-~/.cache}/qmat)
#   MAX_JOBS           parallel compile jobs for mmcv (default: number of cores)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${QMAT_VENV:-$ROOT/.venv}
BASE_PYTHON=${QMAT_PYTHON:-python3}
TORCH_REQ=${QMAT_TORCH:-torch==2.13.0}
CACHE=${QMAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qmat}
MMCV_VERSION=2.1.0
# setuptools 80.x: still ships pkg_resources, which mmcv 2.1.0's setup.py and mmengine 0.10.7 (to resolve
# 'mmdet::' configs) import and setuptools >= 81 dropped, and satisfies recent torch's setuptools >= 77.0.3.
# Every install below names it, so that no dependency upgrades it past 80.
SETUPTOOLS_REQ='setuptools>=77.0.3,<81'
START=$(date +%s)

say() { echo "[setup_env] $*"; }
fail() {
    echo "[setup_env] FAILED: $1" >&2
    echo "[setup_env] what to do: $2" >&2
    exit 1
}

# 1. Virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $BASE_PYTHON"
    "$BASE_PYTHON" -m venv "$VENV" \
        || fail "could not create a virtual environment with '$BASE_PYTHON -m venv $VENV'" \
                "install Python >= 3.8 with venv support (Debian: apt-get install python3-venv) or set QMAT_PYTHON"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet)
"$PY" -c 'import sys; assert sys.version_info >= (3, 8)' \
    || fail "$PY is older than Python 3.8" "set QMAT_PYTHON to a Python >= 3.8 and delete $VENV"

# 2. Build tools (ninja compiles mmcv's ops in parallel).
say "build tools ($SETUPTOOLS_REQ, wheel, ninja)"
"${PIP[@]}" "$SETUPTOOLS_REQ" wheel ninja \
    || fail "pip could not install setuptools<81, wheel and ninja" "check that PyPI is reachable (pip config list)"

# 3. torch: keep whatever torch the venv already has (a user's CUDA build stays untouched).
if "$PY" -c 'import torch' 2>/dev/null; then
    say "torch $("$PY" -c 'import torch; print(torch.__version__)') already present, kept"
else
    say "installing $TORCH_REQ${QMAT_TORCH_INDEX:+ from $QMAT_TORCH_INDEX}"
    "${PIP[@]}" "$TORCH_REQ" "$SETUPTOOLS_REQ" ${QMAT_TORCH_INDEX:+--extra-index-url "$QMAT_TORCH_INDEX"} \
        || fail "pip could not install '$TORCH_REQ'" \
                "set QMAT_TORCH to a torch requirement available for this Python (and QMAT_TORCH_INDEX for CUDA builds)"
fi
TORCH_TAG=$("$PY" -c 'import torch; print(torch.__version__)')
# CUDA ops when torch is a CUDA build and a GPU is visible (or FORCE_CUDA=1, as mmcv's own setup.py reads it).
CUDA_OPS=$("$PY" -c 'import os, torch; cuda = torch.version.cuda and (torch.cuda.is_available() or os.environ.get("FORCE_CUDA") == "1"); print("cu" + torch.version.cuda.replace(".", "") if cuda else "cpu")')
PY_TAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')

# 4. mmengine first: mmcv depends on it, and pip must not choose another version.
say "mmengine==0.10.7"
"${PIP[@]}" 'mmengine==0.10.7' "$SETUPTOOLS_REQ" || fail "pip could not install mmengine==0.10.7" "check that PyPI is reachable"

# 5. mmcv 2.1.0 with compiled ops, from a cached wheel keyed by mmcv, qmat's sources in it, torch, Python and the
#    ops' device. qmat's sources (third_party/mmcv-2.1.0, see its README) replace mmcv's CPU RoIAlign by one that
#    runs on torch's threads and gives the same results to the bit.
OVERLAY="$ROOT/third_party/mmcv-$MMCV_VERSION"
overlay_hash() {  # of qmat's sources
    "$PY" - "$OVERLAY" <<'EOF'
import hashlib, os, sys
root, digest = sys.argv[1], hashlib.sha256()
for folder, _, files in sorted(os.walk(os.path.join(root, 'mmcv'))):
    for name in sorted(files):
        path = os.path.join(folder, name)
        digest.update(os.path.relpath(path, root).encode() + open(path, 'rb').read())
print(digest.hexdigest()[:10])
EOF
}
mmcv_ok() {  # mmcv's version, its compiled ops, and qmat's sources in it
    "$PY" - "$OVERLAY" "$MMCV_VERSION" 2>/dev/null <<'EOF'
import filecmp, os, sys
import mmcv
from mmcv.ops import nms, RoIAlign  # noqa: F401  (compiled ops)
overlay, version = sys.argv[1:]
assert mmcv.__version__ == version
site = os.path.dirname(os.path.dirname(mmcv.__file__))
for folder, _, files in os.walk(os.path.join(overlay, 'mmcv')):
    for name in files:
        ours = os.path.join(folder, name)
        assert filecmp.cmp(ours, os.path.join(site, os.path.relpath(ours, overlay)), shallow=False)
EOF
}
if mmcv_ok; then
    say "mmcv $MMCV_VERSION with compiled ops and qmat's RoIAlign already installed"
else
    KEY="mmcv-$MMCV_VERSION-qmat-$(overlay_hash)-torch-$TORCH_TAG-$PY_TAG-$CUDA_OPS"
    WHEEL_DIR="$CACHE/wheels/$KEY"
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        command -v "${CXX:-g++}" >/dev/null \
            || fail "no C++ compiler found to build mmcv's ops" "install gcc/g++ (Debian: apt-get install build-essential)"
        BUILD_DIR=$(mktemp -d)
        say "building mmcv $MMCV_VERSION ($CUDA_OPS ops) from source: several minutes the first time, cached in $WHEEL_DIR"
        "$PY" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" \
            -d "$BUILD_DIR" || fail "pip could not download mmcv $MMCV_VERSION's sources" "check that PyPI is reachable"
        tar xzf "$BUILD_DIR/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD_DIR"
        SRC="$BUILD_DIR/mmcv-$MMCV_VERSION"
        # qmat's sources go over exactly the mmcv sources they were made from
        "$PY" - "$OVERLAY/replacements.txt" "$SRC" <<'EOF' \
            || fail "mmcv $MMCV_VERSION's sources differ from those that third_party/mmcv-$MMCV_VERSION replaces" \
                    "check that pip downloaded mmcv $MMCV_VERSION from PyPI"
import hashlib, os, sys
listing, source = sys.argv[1:]
for line in open(listing):
    digest, path = line.split()
    assert hashlib.sha256(open(os.path.join(source, path), 'rb').read()).hexdigest() == digest, path
EOF
        cp -R "$OVERLAY/mmcv" "$SRC/"
        if [ "$CUDA_OPS" != cpu ]; then export FORCE_CUDA=1; fi
        # Python's own compile flags plus -g0: no debug info, a faster compile and a smaller cached wheel.
        # (setuptools' distutils *replaces* its flags by $CFLAGS, so they must all be given, -O3 included.)
        PY_CFLAGS=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("CFLAGS") or "-O3")')
        CFLAGS="$PY_CFLAGS -g0" MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel --no-build-isolation --no-deps \
            "$SRC" -w "$BUILD_DIR" \
            || fail "building mmcv $MMCV_VERSION from source failed (see the compiler output above)" \
                    "check the C++ compiler (and nvcc matching torch.version.cuda for CUDA ops); on CPU-only machines keep a CPU torch"
        mkdir -p "$WHEEL_DIR"
        mv "$BUILD_DIR"/mmcv-*.whl "$WHEEL_DIR"/
        rm -rf "$BUILD_DIR"
    else
        say "using cached $(basename "$WHEEL_DIR"/mmcv-*.whl) from $WHEEL_DIR"
    fi
    # the second install replaces an mmcv of the same version built without qmat's sources
    { "${PIP[@]}" "$WHEEL_DIR"/mmcv-*.whl "$SETUPTOOLS_REQ" \
        && "${PIP[@]}" --force-reinstall --no-deps "$WHEEL_DIR"/mmcv-*.whl; } \
        || fail "installing the mmcv wheel from $WHEEL_DIR failed" "delete $WHEEL_DIR and run this script again to rebuild it"
    mmcv_ok || fail "mmcv $MMCV_VERSION installed but its compiled ops do not import or lack qmat's sources" \
        "delete $WHEEL_DIR and run this script again to rebuild it"
fi

# 6. mmdet, pycocotools, numpy and qmat itself (editable, with the dev tools).
say "mmdet==3.3.0, pycocotools, numpy, qmat (editable, [dev])"
"${PIP[@]}" --no-build-isolation -e "$ROOT[dev]" "$SETUPTOOLS_REQ" \
    || fail "pip could not install qmat and mmdet==3.3.0" "read pip's message above; check that PyPI is reachable"

# 7. The stack must import, compiled ops included.
"$PY" - <<'EOF' || fail "the final import check failed" "read the traceback above; delete .venv and run this script again"
from mmcv.ops import RoIAlign, nms  # noqa: F401  (compiled ops)
import mmcv, mmdet, mmengine, torch, qmat
print(f'[setup_env] ok: torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, '
      f'mmdet {mmdet.__version__}, qmat {qmat.__version__}')
EOF
say "done in $(( $(date +%s) - START )) s; activate with: source ${VENV#"$ROOT"/}/bin/activate"
