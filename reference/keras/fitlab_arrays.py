"""Reads the arrays fitlab exported (scripts/kerasExport.ts) and checks their fingerprint.

Each array set is `<name>.json` plus raw little-endian files beside it: dense float32 x and y
(MNIST), or int32 CSR offsets + ids and float32 y (IMDB multi-hot rows). The fingerprint is
recomputed from the arrays Keras will train on -- for IMDB from the dense 0/1 matrix built here,
so a wrong vectorization is caught too -- and must equal the one fitlab wrote, or nothing trains.
"""

import hashlib
import json
import os

import numpy as np


class FingerprintMismatch(RuntimeError):
    pass


def fingerprint(kind, x, y):
    """sha256 of b"<kind> <rows> <cols>\\n" + the arrays' bytes, as fitlab's fingerprintOf."""
    rows, cols = x.shape
    h = hashlib.sha256(f"{kind} {rows} {cols}\n".encode())
    if kind == "dense":
        h.update(np.ascontiguousarray(x, dtype="<f4").tobytes())
    else:
        r, c = np.nonzero(x)  # row-major: rows ascending, ids ascending within a row
        if not np.all(x[r, c] == 1.0) or np.count_nonzero(x) != r.size:
            raise FingerprintMismatch("the multi-hot matrix holds values other than 0 and 1")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=rows))]).astype("<i4")
        h.update(offsets.tobytes())
        h.update(c.astype("<i4").tobytes())
    h.update(np.ascontiguousarray(y, dtype="<f4").tobytes())
    return h.hexdigest()


def default_dir():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "keras")


def load(name, directory=None, rows=None):
    """(x, y, manifest) for `<directory>/<name>.json`: x float32 [n, cols] (dense 0/1 for IMDB), y float32 [n].

    The fingerprint is checked on the whole export; `rows` then keeps the first rows.
    """
    directory = directory or default_dir()
    path = os.path.join(directory, name + ".json")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} is missing: export fitlab's arrays first with `npm run build && node dist/scripts/kerasExport.js`"
        )
    with open(path) as f:
        m = json.load(f)
    read = lambda key, dtype: np.fromfile(os.path.join(directory, m["files"][key]), dtype=dtype)
    y = read("y", "<f4")
    if m["kind"] == "dense":
        x = read("x", "<f4").reshape(m["rows"], m["cols"])
    else:
        offsets, ids = read("offsets", "<i4"), read("ids", "<i4")
        x = np.zeros((m["rows"], m["cols"]), dtype="float32")
        x[np.repeat(np.arange(m["rows"]), np.diff(offsets)), ids] = 1.0
    got = fingerprint(m["kind"], x, y)
    if got != m["sha256"]:
        raise FingerprintMismatch(f"{name}: fitlab wrote sha256 {m['sha256']}, Keras reads {got}; re-export the arrays")
    if rows is not None:
        x, y = x[:rows], y[:rows]
    return x, y, m
