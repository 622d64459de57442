#!/usr/bin/env python3
"""
The PyTorch side of docs/reproductions.md's ECG5000 comparison: the seed notebook's V3
dense autoencoder (140-128-64-32-16-32-64-128-140 relu, dropout 0.2 and L2 0.001 on the
first two layers, PyTorch's default init) trained as aelab's `ecg5000-dense.json` trains
it, and scored with BOTH threshold rules aelab sweeps, so each rule is compared with the
same rule on the other side:

- `train`: the percentile of the training errors (what the notebook did);
- `validation`: the percentile of the validation split's normal rows.

Protocol as aelab's: ecg.csv rows 0-499 train / 500-end test, label 1 is normal; 10% of
the training rows carved as validation with their anomalies kept, a new carve per repeat as
`"resample": "validation"` draws (here with numpy's RandomState(seed + repeat): its own
carves, deterministic from the seed, not aelab's rows); the model trains on the remaining normal
rows; StandardScaler (population std) fit on them; Adam 1e-3, MSE, batch 32, 100 epochs,
no early stopping; errors are per-row MSE in eval mode.

    AELAB_DATA_DIR=../shared/datasets /usr/bin/python3 tools/bench/pytorch-ecg5000.py [--repeats 5] [--percentile 95]

Prints one JSON object: per rule, test F1 per repeat and its mean and sample std; per repeat,
the normal beats of its validation carve (what the validation rule's percentile is taken over).
PyTorch is not an aelab dependency (Debian: apt-get install python3-torch).
"""
import argparse
import json
import os
import statistics

import numpy as np
import torch

from torch_autoencoders import DenseAutoencoder

ARGS = argparse.ArgumentParser()
ARGS.add_argument("--repeats", type=int, default=5)
ARGS.add_argument("--percentile", type=float, default=95)
ARGS.add_argument("--epochs", type=int, default=100)
ARGS.add_argument("--seed", type=int, default=2024)
args = ARGS.parse_args()
torch.set_num_threads(1)


def load():
    path = os.path.join(os.environ.get("AELAB_DATA_DIR", "../shared/datasets"), "ecg_tensorflow", "ecg.csv")
    data = np.loadtxt(path, delimiter=",")
    x, normal = data[:, :-1], data[:, -1] == 1
    return (x[:500], normal[:500]), (x[500:], normal[500:])


def V3():
    """The seed notebook's V3: dropout 0.2 after the first two layers, whose kernels carry L2 0.001."""
    return DenseAutoencoder([140, 128, 64, 32, 16, 32, 64, 128], 0.2, 0.001, 2)


def f1(flagged, anomalous):
    tp = np.sum(flagged & anomalous)
    fp = np.sum(flagged & ~anomalous)
    fn = np.sum(~flagged & anomalous)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def run(repeat, train, test):
    seed = args.seed + repeat
    torch.manual_seed(seed)
    (x, normal), (x_test, normal_test) = train, test
    order = np.random.RandomState(seed).permutation(len(x))
    n_val = round(len(x) * 0.1)
    val, fit = order[:n_val], order[n_val:]
    fit = fit[normal[fit]]
    mean, std = x[fit].mean(0), x[fit].std(0)
    std[std == 0] = 1
    scale = lambda a: torch.tensor((a - mean) / std, dtype=torch.float32)
    x_fit, x_val, x_te = scale(x[fit]), scale(x[val][normal[val]]), scale(x_test)
    model = V3()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(args.epochs):
        model.train()
        for batch in torch.randperm(len(x_fit), generator=g).split(32):
            opt.zero_grad()
            loss = ((model(x_fit[batch]) - x_fit[batch]) ** 2).mean() + model.penalty()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        errors = lambda t: ((model(t) - t) ** 2).mean(1).numpy()
        e_fit, e_val, e_te = errors(x_fit), errors(x_val), errors(x_te)
    thresholds = {"train": np.percentile(e_fit, args.percentile), "validation": np.percentile(e_val, args.percentile)}
    scores = {rule: f1(e_te > t, ~normal_test) for rule, t in thresholds.items()}
    return {**scores, "validation_normals": len(e_val)}


train, test = load()
runs = [run(r, train, test) for r in range(args.repeats)]
out = {"model": "V3 (pytorch init)", "percentile": args.percentile, "repeats": args.repeats, "epochs": args.epochs,
       "resample": "validation", "validation_normals": [r["validation_normals"] for r in runs]}
for rule in ("train", "validation"):
    values = [r[rule] for r in runs]
    out[rule] = {"f1": [round(v, 4) for v in values], "mean": round(statistics.mean(values), 4),
                 "std": round(statistics.stdev(values), 4) if len(values) > 1 else None}
print(json.dumps(out))
