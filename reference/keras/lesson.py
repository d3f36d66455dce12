"""Trains fitlab's lesson runs in Keras and writes their histories as fixtures.

    .venv/bin/python reference/keras/lesson.py [--runs imdb.original,imdb.l2] [--seeds 1,2,3,4,5]
        [--threads 2] [--data data/keras] [--out test/fixtures/keras-histories] [--epochs N]

Reads fitlab's exported arrays (`node dist/scripts/kerasExport.js --size full`; their fingerprint is
checked), trains each run as runs.py writes it with each seed (`keras.utils.set_random_seed`), and
writes `<out>/<run>.json` in the format of fitlab's test/fixtures/histories (6 significant digits),
plus Keras's version, the threads and the seconds per epoch. Seeds recorded earlier stay in the file.
The machine is shared: run it under `nice`, with 1-2 threads.
"""

import argparse
import json
import math
import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", help="comma-separated run names (default: all)")
    p.add_argument("--seeds", default="1,2,3,4,5")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.path.join(ROOT, "data", "keras"))
    p.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "keras-histories"))
    p.add_argument("--epochs", type=int, help="override every run's epochs (for a quick check; not for fixtures)")
    p.add_argument("--size", default="full", choices=["full", "small"], help="which export to read")
    p.add_argument("--json", action="store_true", help="print one JSON line per run (seconds per epoch) for npm run bench")
    return p.parse_args(argv)


def set_threads(n):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def compact(values):
    """6 significant digits; NaN/Infinity as null (JSON has no NaN; fitlab's reader maps null back to NaN)."""
    return [float(f"{float(v):.6g}") if math.isfinite(float(v)) else None for v in values]


# What each fixture records about the order of the batches (train_run unseeds TensorFlow's shuffle).
# A fixture without it was recorded before that, with one order for all epochs, and is re-recorded whole.
SHUFFLE = "fresh every epoch"


class EpochTimer:
    def __init__(self):
        self.seconds = []

    def callback(self):
        import keras

        timer = self

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.seconds.append(time.perf_counter() - self.t)

        return Timer()


def unseed_shuffles():
    """Unseeds TensorFlow, after set_random_seed and once the model's weights are drawn.

    `keras.utils.set_random_seed` also fixes the seed of the `tf.random.shuffle` that fit's array
    adapter runs at each epoch, and TensorFlow re-creates that op with the same seed for every
    epoch's iterator: a seeded fit trains every epoch on the same batches in the same order (Keras
    3.15.1 + TensorFlow 2.21; order.py shows it). A reader's unseeded run, and fitlab, reshuffle
    every epoch, and training in one order made Keras overfit MNIST Dense(128)x2 sooner (lowest
    validation cross-entropy 0.102 against 0.086 reshuffled). Unseeded, each epoch's order comes
    fresh from TensorFlow's own stream (so a re-recording gives other curves of the same spread);
    the initial weights and the dropout masks (Keras's SeedGenerators, seeded by set_random_seed when
    the layers were made) stay seeded.
    """
    import tensorflow as tf

    tf.random.set_seed(None)


def train_run(name, seed, data, epochs=None, verbose=0):
    """One run with one seed: (history dict, seconds per epoch list, stop reason or None)."""
    import keras
    from runs import RUNS, compile_run

    dataset, rows, build, _, fit, edit, patience = RUNS[name]
    x, y = data[dataset]
    if rows is not None:
        x, y = x[:rows], y[:rows]
    if edit is not None:
        x, y = edit(x, y, seed)
    if dataset == "imdb":
        y = y.reshape(-1, 1)  # the cross-entropy metric (not the loss) needs labels shaped as the output
    keras.utils.set_random_seed(seed)
    model = compile_run(name, build())
    model.build((None, x.shape[1]))  # draws the initial weights now, from the seed
    unseed_shuffles()
    timer = EpochTimer()
    callbacks = [timer.callback()]
    stopper = None
    if patience is not None:
        stopper = keras.callbacks.EarlyStopping(monitor="val_crossentropy", patience=patience, restore_best_weights=True)
        callbacks.append(stopper)
    settings = dict(fit, epochs=epochs or fit["epochs"])
    history = model.fit(x, y, verbose=verbose, callbacks=callbacks, **settings)
    stop = None
    if stopper is not None and stopper.stopped_epoch > 0:
        stop = f"early stopping after epoch {stopper.stopped_epoch + 1} (patience {patience}), best epoch {stopper.best_epoch + 1} restored"
    keras.backend.clear_session()
    return history.history, timer.seconds, stop, settings, len(x)


def main(argv):
    args = parse_args(argv)
    set_threads(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keras
    import tensorflow as tf
    from fitlab_arrays import load
    from runs import REGULARIZED, RUNS

    names = args.runs.split(",") if args.runs else list(RUNS)
    unknown = [n for n in names if n not in RUNS]
    if unknown:
        sys.exit(f"lesson.py: unknown run(s) {', '.join(unknown)}; known: {', '.join(RUNS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    data, fingerprints = {}, {}
    for dataset in sorted({RUNS[n][0] for n in names}):
        x, y, m = load(f"{dataset}-{args.size}", args.data)
        data[dataset] = (x, y)
        fingerprints[dataset] = m["sha256"]
        if not args.json:
            print(f"{m['name']}: {m['rows']} x {m['cols']} sha256 {m['sha256']} (matches fitlab's export)", flush=True)
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        dataset = RUNS[name][0]
        path = os.path.join(args.out, name + ".json")
        record = None
        if os.path.exists(path) and not args.json:
            with open(path) as f:
                record = json.load(f)
        for seed in seeds:
            h, seconds, stop, settings, rows = train_run(name, seed, data, args.epochs)
            val_rows = rows - int(rows * (1.0 - settings["validation_split"]) // 1)
            if args.json:
                print(json.dumps({"run": name, "seed": seed, "epochs": len(seconds), "secondsPerEpoch": seconds}), flush=True)
                continue
            keep = ["loss", "accuracy", "val_loss", "val_accuracy"] + (["crossentropy", "val_crossentropy"] if name in REGULARIZED else [])
            if record is None or record.get("epochs") != settings["epochs"] or record.get("shuffle") != SHUFFLE:
                record = {
                    "name": name,
                    "dataset": dataset,
                    "epochs": settings["epochs"],
                    "batchSize": settings["batch_size"],
                    "validationSplit": settings["validation_split"],
                    "samples": rows - val_rows,
                    "validationSamples": val_rows,
                    "seeds": {},
                }
            record.update(shuffle=SHUFFLE, keras=keras.__version__, tensorflow=tf.__version__, threads=args.threads, data_sha256=fingerprints[dataset])
            record["seeds"][str(seed)] = {k: compact(h[k]) for k in keep}
            record.setdefault("secondsPerEpoch", {})[str(seed)] = round(sum(seconds) / len(seconds), 3)
            if stop:
                record.setdefault("stopReasons", {})[str(seed)] = stop
            with open(path, "w") as f:
                json.dump(record, f)
                f.write("\n")
            print(f"{name} seed {seed}: {len(seconds)} epochs, {sum(seconds) / len(seconds):.2f} s/epoch, "
                  f"min val_loss {min(h['val_loss']):.4f} at epoch {h['val_loss'].index(min(h['val_loss'])) + 1}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
