"""Every run of fitlab's notebooks 1-5, written as the article and the book write them.

Each model is a plain `keras.Sequential([...])`, compiled with `optimizer="rmsprop"` (or
`RMSprop(lr)` where the book changes the learning rate) and trained with
`model.fit(x, y, epochs=..., batch_size=..., validation_split=...)`. The names are fitlab's fixture
names (test/fixtures/histories/<name>.json) so each Keras history sits beside fitlab's.

One addition to the article's `compile`: a cross-entropy metric, so that a regularized run's
validation cross-entropy without the penalty can be compared (fitlab records it as
`val_crossentropy`; Keras's `val_loss` includes the penalty, as fitlab's does).
"""

import numpy as np

import keras
from keras import layers, regularizers


# --- Notebooks 1-2: MNIST ---------------------------------------------------------------

def mnist_small():
    return keras.Sequential([layers.Dense(10, activation="softmax")])


def mnist_large():
    return keras.Sequential([
        layers.Dense(128, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def mnist_dense512():
    """The book's chapter-5 MNIST model (noise channels, shuffled labels, learning rates)."""
    return keras.Sequential([
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


# --- Notebooks 3-4: IMDB ----------------------------------------------------------------

def imdb_tiny():
    return keras.Sequential([
        layers.Dense(4, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_original():
    return keras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_smaller():
    return keras.Sequential([
        layers.Dense(4, activation="relu"),
        layers.Dense(4, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_larger():
    return keras.Sequential([
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_l2():
    return keras.Sequential([
        layers.Dense(16, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
        layers.Dense(16, kernel_regularizer=regularizers.l2(0.002), activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_l1():
    return keras.Sequential([
        layers.Dense(16, kernel_regularizer=regularizers.l1(0.001), activation="relu"),
        layers.Dense(16, kernel_regularizer=regularizers.l1(0.001), activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_l1l2():
    return keras.Sequential([
        layers.Dense(16, kernel_regularizer=regularizers.l1_l2(l1=0.001, l2=0.001), activation="relu"),
        layers.Dense(16, kernel_regularizer=regularizers.l1_l2(l1=0.001, l2=0.001), activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_dropout():
    return keras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(1, activation="sigmoid"),
    ])


def imdb_l2dropout():
    """The TensorFlow "Overfit and underfit" tutorial's combined model on the original network."""
    return keras.Sequential([
        layers.Dense(16, kernel_regularizer=regularizers.l2(0.0001), activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(16, kernel_regularizer=regularizers.l2(0.0001), activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(1, activation="sigmoid"),
    ])


# --- The runs ---------------------------------------------------------------------------

MNIST_FIT = dict(epochs=20, batch_size=128, validation_split=0.2)
IMDB_FIT = dict(epochs=20, batch_size=512, validation_split=0.4)
# Notebook 5's parameters cell: 3,000 MNIST images, 10 epochs for 5.1.1 / 5.3.1, 20 for the candidates;
# 1,000 images with shuffled labels for 40 epochs; early stopping with patience 2.
NB5_FIT = dict(batch_size=128, validation_split=0.2)


def noise_columns(x, seed):
    """The book's `np.concatenate([train_images, np.random.random((len(train_images), 784))], axis=1)`."""
    return np.concatenate([x, np.random.default_rng(seed).random(x.shape, dtype=np.float32)], axis=1)


def zero_columns(x, seed):
    return np.concatenate([x, np.zeros(x.shape, dtype=np.float32)], axis=1)


def shuffled_labels(y, seed):
    """The book's `random_train_labels = train_labels[:]; np.random.shuffle(random_train_labels)`."""
    y = y.copy()
    np.random.default_rng(seed).shuffle(y)
    return y


# name -> (data set, rows (None: all), model, optimizer, fit settings, data edit (x, y, seed) -> (x, y), early stopping patience)
RUNS = {
    "mnist.small": ("mnist", None, mnist_small, "rmsprop", MNIST_FIT, None, None),
    "mnist.large": ("mnist", None, mnist_large, "rmsprop", MNIST_FIT, None, None),
    "imdb.tiny": ("imdb", None, imdb_tiny, "rmsprop", IMDB_FIT, None, None),
    "imdb.original": ("imdb", None, imdb_original, "rmsprop", IMDB_FIT, None, None),
    "imdb.smaller": ("imdb", None, imdb_smaller, "rmsprop", IMDB_FIT, None, None),
    "imdb.larger": ("imdb", None, imdb_larger, "rmsprop", IMDB_FIT, None, None),
    "imdb.l2": ("imdb", None, imdb_l2, "rmsprop", IMDB_FIT, None, None),
    "imdb.l1": ("imdb", None, imdb_l1, "rmsprop", IMDB_FIT, None, None),
    "imdb.l1l2": ("imdb", None, imdb_l1l2, "rmsprop", IMDB_FIT, None, None),
    "imdb.dropout": ("imdb", None, imdb_dropout, "rmsprop", IMDB_FIT, None, None),
    "imdb.l2dropout": ("imdb", None, imdb_l2dropout, "rmsprop", IMDB_FIT, None, None),
    "nb5.noise": ("mnist", 3000, mnist_dense512, "rmsprop", dict(NB5_FIT, epochs=10), lambda x, y, s: (noise_columns(x, s), y), None),
    "nb5.zeros": ("mnist", 3000, mnist_dense512, "rmsprop", dict(NB5_FIT, epochs=10), lambda x, y, s: (zero_columns(x, s), y), None),
    "nb5.shuffled": ("mnist", 1000, mnist_dense512, "rmsprop", dict(NB5_FIT, epochs=40), lambda x, y, s: (x, shuffled_labels(y, s)), None),
    "nb5.lrhigh": ("mnist", 3000, mnist_dense512, lambda: keras.optimizers.RMSprop(1.0), dict(NB5_FIT, epochs=10), None, None),
    "nb5.lrlow": ("mnist", 3000, mnist_dense512, lambda: keras.optimizers.RMSprop(1e-2), dict(NB5_FIT, epochs=10), None, None),
    "nb5.small": ("mnist", 3000, mnist_small, "rmsprop", dict(NB5_FIT, epochs=20), None, None),
    "nb5.large": ("mnist", 3000, mnist_large, "rmsprop", dict(NB5_FIT, epochs=20), None, None),
    "nb5.stopped": ("imdb", None, imdb_original, "rmsprop", IMDB_FIT, None, 2),
}

REGULARIZED = {"imdb.l2", "imdb.l1", "imdb.l1l2", "imdb.l2dropout"}


def compile_run(name, model):
    """`model.compile(optimizer="rmsprop", loss=..., metrics=["accuracy"])`, plus the cross-entropy metric."""
    dataset, _, _, optimizer, _, _, _ = RUNS[name]
    if dataset == "mnist":
        loss, ce = "sparse_categorical_crossentropy", keras.metrics.SparseCategoricalCrossentropy(name="crossentropy")
    else:
        loss, ce = "binary_crossentropy", keras.metrics.BinaryCrossentropy(name="crossentropy")
    model.compile(optimizer=optimizer if isinstance(optimizer, str) else optimizer(), loss=loss, metrics=["accuracy", ce])
    return model
