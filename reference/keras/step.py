"""Step for step: replays fitlab's batches in Keras from fitlab's initial weights.

    .venv/bin/python reference/keras/step.py job.json result.json

Written by test/kerasStep.test.ts. The job names the exported arrays and, for each case, a run of
runs.py (its model and optimizer exactly as the article writes them), the file of fitlab's initial
weights (float32, Keras's `get_weights()` order: kernel then bias per Dense layer), and the batches
fitlab trained on (row indices into the training rows, in order). Dropout is switched off (rate 0),
since the two libraries draw their masks from different random streams. Each batch is one
`train_on_batch` (metrics reset per call, so its `loss` is that batch's mean loss, penalty included).

The result gives, per case: the per-batch losses, Keras's own training rows under the job's
`validation_split` (keras.src's train_validation_split, which fit uses), the fingerprint of the
arrays as Keras read them, and the file of the weights after the last batch.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(job_path, result_path):
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split

    from fitlab_arrays import load
    from runs import RUNS, compile_run

    with open(job_path) as f:
        job = json.load(f)
    out_dir = os.path.dirname(os.path.abspath(result_path))
    arrays = {}
    result = {"keras": keras.__version__, "tensorflow": tf.__version__, "fingerprints": {}, "cases": []}
    for case in job["cases"]:
        name = case["run"]
        dataset, _, build, _, _, edit, _ = RUNS[name]
        export = case["data"]
        if export not in arrays:
            arrays[export] = load(export, job["dir"])
            result["fingerprints"][export] = arrays[export][2]["sha256"]
        x, y, _ = arrays[export]
        if case.get("edit") == "zeros":
            x, y = edit(x, y, 0)
        if dataset == "imdb":
            y = y.reshape(-1, 1)
        (x_train, y_train), _ = train_validation_split((x, y), validation_split=case["validationSplit"])

        keras.utils.set_random_seed(0)
        model = build()
        model.build((None, x.shape[1]))
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.0  # dropout off: the masks come from different random streams
        compile_run(name, model)
        shapes = [w.shape for w in model.get_weights()]
        flat = np.fromfile(os.path.join(job["dir"], case["weights"]), dtype="<f4")
        if flat.size != sum(int(np.prod(s)) for s in shapes):
            sys.exit(f"step.py: {case['id']}: {flat.size} initial weights for a model of shapes {shapes}")
        weights, at = [], 0
        for s in shapes:
            n = int(np.prod(s))
            weights.append(flat[at:at + n].reshape(s))
            at += n
        model.set_weights(weights)

        losses = []
        for rows in case["batches"]:
            rows = np.asarray(rows, dtype=np.int64)
            logs = model.train_on_batch(x_train[rows], y_train[rows], return_dict=True)
            losses.append(float(logs["loss"]))
        final = np.concatenate([w.reshape(-1) for w in model.get_weights()]).astype("<f4")
        out = case["id"] + ".keras.f32"
        final.tofile(os.path.join(out_dir, out))
        result["cases"].append({"id": case["id"], "losses": losses, "trainRows": int(len(x_train)), "weights": out})
        keras.backend.clear_session()
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: step.py job.json result.json")
    main(sys.argv[1], sys.argv[2])
