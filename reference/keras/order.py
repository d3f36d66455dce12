"""Which batches Keras's `fit` trains on, epoch by epoch: seeded as lesson.py seeds a run, and not.

    .venv/bin/python reference/keras/order.py

Prints one JSON object: for each way of seeding, the rows of every batch of each of 3 epochs
(`fit(x, y, batch_size=8, epochs=3, validation_split=0.2)` on 40 rows whose only feature is the row
number, read by a model that records what each training step receives):

- "set_random_seed": `keras.utils.set_random_seed(1)` before building and fitting. Keras 3.15.1 with
  TensorFlow 2.21 then trains every epoch on the same batches in the same order: the seed fixes the
  `tf.random.shuffle` of fit's array adapter, and TensorFlow re-creates it with that seed for every
  epoch's iterator.
- "lesson.py": as lesson.py's train_run: seeded, the weights drawn, then TensorFlow unseeded
  (`unseed_shuffles`), so each epoch gets a fresh order, as in an unseeded run and in fitlab.

test/kerasStep.test.ts runs it.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def batches(unseed):
    import numpy as np
    import tensorflow as tf
    import keras

    from lesson import unseed_shuffles

    rows, epochs = 40, 3
    x = np.arange(rows, dtype="float32").reshape(-1, 1)
    y = np.zeros((rows, 1), dtype="float32")
    seen = []

    class Recorder(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            tf.py_function(lambda b: seen.append(b.numpy().ravel().astype(int).tolist()), [data[0]], [])
            return super().train_step(data)

    keras.utils.set_random_seed(1)
    model = Recorder()
    model.build((None, 1))
    if unseed:
        unseed_shuffles()
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(x, y, batch_size=8, epochs=epochs, validation_split=0.2, verbose=0)
    keras.backend.clear_session()
    per = len(seen) // epochs
    return [seen[e * per:(e + 1) * per] for e in range(epochs)]


def main():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    print(json.dumps({
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "set_random_seed": batches(unseed=False),
        "lesson.py": batches(unseed=True),
    }))


if __name__ == "__main__":
    main()
