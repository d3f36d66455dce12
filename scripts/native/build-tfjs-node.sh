#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native binding against the TensorFlow C library of PyPI's
# tensorflow-cpu wheel (requirements.txt, installed into .venv/), for machines where tfjs-node's own
# install script cannot download libtensorflow (no internet besides the package registries) or where
# npm skipped it (npm 12 blocks install scripts nobody approved).
#
#   scripts/native/build-tfjs-node.sh            build if needed, then check that it loads
#   scripts/native/build-tfjs-node.sh --force    rebuild
#
# What it does, and nothing else (nothing is downloaded but npm packages pinned in package-lock.json):
# 1. @tensorflow/tfjs-node@4.22.0 (an optional dependency, pinned in package-lock.json) and its own
#    dependencies into node_modules/, its install script NOT run (`npm install --ignore-scripts`).
# 2. node_modules/@tensorflow/tfjs-node/deps/: what tfjs-node's binding.gyp links against, as relative
#    symlinks into the wheel: deps/include → tensorflow/include; deps/lib/libtensorflow.so →
#    libtensorflow_cc.so.2 (the wheel's library exporting the C API; binding.gyp says -ltensorflow),
#    libtensorflow_framework.so → libtensorflow_framework.so.2, and both sonames, which the binding's
#    rpath ($ORIGIN/../../deps/lib) finds at run time.
# 3. node-gyp (a pinned devDependency) with the running Node's own headers (--nodedir, nothing
#    fetched), writing lib/napi-v8/tfjs_binding.node where tfjs-node's loader (node-pre-gyp) looks.
# 4. A check in a fresh Node: require("@tensorflow/tfjs-node") gives tf.getBackend() === "tensorflow".
#
# Needs: g++ and make, Python 3 (for gyp; the venv's), tensorflow-cpu in .venv (or
# FITLAB_TENSORFLOW_DIR=<the wheel's tensorflow/ folder>). Exits non-zero, saying which step failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

TFJS_NODE_VERSION=4.22.0
PKG=node_modules/@tensorflow/tfjs-node
NAPI_VERSION=8 # the highest N-API version tfjs-node 4.22's package.json lists; Node 20 has 9
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    *) echo "build-tfjs-node: unknown argument \"$arg\" (only --force)" >&2; exit 2 ;;
  esac
done

fail() { echo "build-tfjs-node: FAILED at $1" >&2; exit 1; }
step() { echo "build-tfjs-node: $1"; }

check() {
  # A fresh process: loading the binding and registering the backend is what a user's require does.
  node -e '
    process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || "2";
    const tf = require("@tensorflow/tfjs-node");
    if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend());
    const y = tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[1], [1]])).dataSync();
    if (y[0] !== 3 || y[1] !== 7) throw new Error("matMul gave " + Array.from(y));
    const tfVersion = tf.backend().binding.TF_Version;
    console.log("build-tfjs-node: ok: tfjs-node " + tf.version["tfjs-node"] + " on native TensorFlow " + tfVersion);
  '
}

if [ "$FORCE" = 0 ] && [ -f "$PKG/lib/napi-v$NAPI_VERSION/tfjs_binding.node" ] && check 2>/dev/null; then
  exit 0
fi

# 1. The package, pinned by package-lock.json, without its install script.
installed=$(node -p "try { require('./$PKG/package.json').version } catch { '' }")
if [ "$installed" != "$TFJS_NODE_VERSION" ] || [ ! -d node_modules/@mapbox/node-pre-gyp ]; then
  step "installing @tensorflow/tfjs-node@$TFJS_NODE_VERSION from package-lock.json (install script not run)"
  grep -q "\"node_modules/@tensorflow/tfjs-node\"" package-lock.json || fail "step 1: package-lock.json has no @tensorflow/tfjs-node"
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error || fail "step 1: npm install --ignore-scripts"
  installed=$(node -p "require('./$PKG/package.json').version")
  [ "$installed" = "$TFJS_NODE_VERSION" ] || fail "step 1: node_modules has tfjs-node $installed, not $TFJS_NODE_VERSION"
fi

# 2. The wheel's TensorFlow C library, where binding.gyp looks for libtensorflow.
TF_DIR=${FITLAB_TENSORFLOW_DIR:-}
if [ -z "$TF_DIR" ]; then
  [ -x .venv/bin/python ] || fail "step 2: no .venv/bin/python (run .ci/run, or pip install -r requirements.txt into .venv, or set FITLAB_TENSORFLOW_DIR)"
  # find_spec locates the package without importing TensorFlow (seconds).
  TF_DIR=$(.venv/bin/python -c 'import importlib.util as u; s = u.find_spec("tensorflow"); print(s.submodule_search_locations[0] if s else "")')
  [ -n "$TF_DIR" ] || fail "step 2: tensorflow is not installed in .venv (pip install -r requirements.txt)"
fi
for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2 include/tensorflow/c/c_api.h include/tensorflow/c/eager/c_api.h; do
  [ -e "$TF_DIR/$f" ] || fail "step 2: $TF_DIR/$f is missing (tensorflow-cpu wheel without the C library?)"
done
# Relative links (the project folder can move); absolute for a wheel outside it.
mkdir -p "$PKG/deps/lib"
case "$TF_DIR" in /*) ;; *) TF_DIR=$ROOT/$TF_DIR ;; esac
case "$TF_DIR" in
  "$ROOT"/*) INC=$(realpath -s -m --relative-to="$ROOT/$PKG/deps" "$TF_DIR") LIB=../$INC ;;
  *) INC=$TF_DIR LIB=$TF_DIR ;;
esac
ln -sfn "$INC/include" "$PKG/deps/include"
ln -sfn "$LIB/libtensorflow_cc.so.2" "$PKG/deps/lib/libtensorflow_cc.so.2"
ln -sfn "$LIB/libtensorflow_framework.so.2" "$PKG/deps/lib/libtensorflow_framework.so.2"
ln -sfn libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -sfn libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
[ -e "$PKG/deps/lib/libtensorflow.so" ] && [ -e "$PKG/deps/include/tensorflow/c/c_api.h" ] || fail "step 2: the symlinks into $TF_DIR do not resolve"
step "linking against $(realpath "$TF_DIR")"

# 3. The binding, with this Node's headers.
NODE_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$NODE_DIR/include/node/node_api.h" ] || fail "step 3: no Node headers in $NODE_DIR/include/node (install Node with its headers, or Debian's libnode-dev)"
command -v g++ >/dev/null && command -v make >/dev/null || fail "step 3: g++ and make are needed (apt-get install g++ make)"
[ -x node_modules/.bin/node-gyp ] || fail "step 3: node-gyp is missing from node_modules (npm ci installs it, a devDependency)"
PYTHON_FOR_GYP=$( [ -x .venv/bin/python ] && echo "$ROOT/.venv/bin/python" || command -v python3 )
step "building the N-API binding (node-gyp, --nodedir=$NODE_DIR)"
(
  cd "$PKG"
  "$ROOT/node_modules/.bin/node-gyp" rebuild --nodedir="$NODE_DIR" --python="$PYTHON_FOR_GYP" \
    --module_name=tfjs_binding --module_path="$ROOT/$PKG/lib/napi-v$NAPI_VERSION" \
    --napi_build_version="$NAPI_VERSION" --jobs=2 --loglevel=warn
) || fail "step 3: node-gyp rebuild (the compiler's message is above)"

# 4. It loads.
check || fail "step 4: require(\"@tensorflow/tfjs-node\") after the build"
