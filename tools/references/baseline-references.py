"""Reference scores for the baseline detectors' tests (packages/models/tests/baselines.test.ts).

Writes packages/models/tests/fixtures/baseline-references.json: the rows (float32 values,
so both sides score exactly the same numbers), numpy's PCA reconstruction errors (SVD of
the centred training rows) and scikit-learn's IsolationForest scores (-score_samples).
scikit-learn is not installed in CI: the JSON is committed, this script regenerates it.

    /usr/bin/python3 tools/references/baseline-references.py   # needs numpy, python3-sklearn
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

rng = np.random.default_rng(24)
FEATURES = 6
mixing = rng.normal(size=(FEATURES, FEATURES))
train = (rng.normal(size=(300, FEATURES)) @ mixing).astype(np.float32).astype(np.float64)
normal_test = rng.normal(size=(150, FEATURES)) @ mixing
# Anomalies at graded distances, so the scores spread and ranks carry information.
anomalies = (
    rng.normal(size=(50, FEATURES)) @ mixing
    + rng.normal(size=(50, FEATURES)) * np.linspace(0.5, 6, 50)[:, None]
)
test = np.vstack([normal_test, anomalies]).astype(np.float32).astype(np.float64)


def pca_errors(k):
    mean = train.mean(axis=0)
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    axes = vt[:k].T

    def errors(rows):
        centred = rows - mean
        return (((centred @ axes @ axes.T) - centred) ** 2).mean(axis=1).tolist()

    return {"train": errors(train), "test": errors(test)}


TREES = 500
forest = IsolationForest(n_estimators=TREES, max_samples=256, random_state=0).fit(train)

out = {
    "generator": "tools/references/baseline-references.py",
    "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__},
    "features": FEATURES,
    "train": train.ravel().tolist(),
    "test": test.ravel().tolist(),
    "pca": {str(k): pca_errors(k) for k in (1, 3, 5)},
    "isolationForest": {"trees": TREES, "sampleSize": 256, "test": (-forest.score_samples(test)).tolist()},
}
path = pathlib.Path(__file__).resolve().parents[2] / "packages/models/tests/fixtures/baseline-references.json"
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path}")
