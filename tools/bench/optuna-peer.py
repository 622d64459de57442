#!/usr/bin/env python3
"""
The peer side of `sweep-vs-peer.mjs`: the same search problem (docs/search-benchmark.md) run
by Optuna driving PyTorch, as a user of those tools would write it.

    /usr/bin/python3 tools/bench/optuna-peer.py --sweep grid|tpe+asha --workers 2 [--epochs 100] [--limit N]

ECG5000 through ecg.csv ($AELAB_DATA_DIR/ecg_tensorflow/ecg.csv): rows 0-499 train (normal
beats only, label 1), 20% of them held out as validation (seeded), standard scaling fit on
the training rows. Dense autoencoders (the encoder widths, the encoder mirrored without its
bottleneck as the decoder, relu, a linear output, dropout after every hidden layer, an L2
penalty on every hidden kernel), Adam, batch 32, MSE, no early stopping; the objective is
the last epoch's validation MSE (minimised). Space: 4 encoders x 3 dropout x 3 L2 x 3
learning rates = 108 configurations.

grid: optuna's GridSampler over the 108, no pruner. tpe+asha: TPESampler (seed 1) with
SuccessiveHalvingPruner(min_resource=6, reduction_factor=3), 108 trials. `--workers N`
starts N processes sharing one JournalFileStorage (each with 1 torch thread), as Optuna's
documentation recommends for parallel studies on one machine. Prints one JSON object.

Optuna and PyTorch are not aelab dependencies: on Debian, `apt-get install python3-optuna
python3-torch`.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from multiprocessing import Process

import numpy as np
import optuna
import torch

from torch_autoencoders import DenseAutoencoder, train_epoch, validation_loss

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

ENCODERS = [[32, 8], [64, 32, 8], [128, 64, 32, 16], [128, 32]]
DROPOUTS = [0.0, 0.1, 0.3]
L2S = [0.0, 0.0001, 0.001]
RATES = [0.0003, 0.001, 0.003]


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--sweep", choices=["grid", "tpe+asha"], required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--limit", type=int, default=108, help="at most this many trials (a quick check)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def load():
    path = os.path.join(os.environ.get("AELAB_DATA_DIR", ""), "ecg_tensorflow", "ecg.csv")
    if not os.path.exists(path):
        sys.exit(f"optuna-peer: {path} not found (set AELAB_DATA_DIR)")
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    train = table[:500]
    normal = train[train[:, -1] == 1][:, :-1]
    rng = np.random.default_rng(2024)
    order = rng.permutation(len(normal))
    cut = int(round(len(normal) * 0.8))
    fit, val = normal[order[:cut]], normal[order[cut:]]
    mean, std = fit.mean(axis=0), fit.std(axis=0) + 1e-12
    return torch.from_numpy((fit - mean) / std), torch.from_numpy((val - mean) / std)


def objective(trial, data, epochs):
    fit, val = data
    encoder = ENCODERS[trial.suggest_categorical("encoder", list(range(len(ENCODERS))))]
    dropout = trial.suggest_categorical("dropout", DROPOUTS)
    l2 = trial.suggest_categorical("l2", L2S)
    rate = trial.suggest_categorical("learningRate", RATES)
    torch.manual_seed(trial.number)
    # The encoder mirrored without its bottleneck as the decoder; dropout after every hidden layer.
    model = DenseAutoencoder([140, *encoder, *reversed(encoder[:-1])], dropout, l2)
    optimizer = torch.optim.Adam(model.parameters(), lr=rate)
    val_loss = float("inf")
    for epoch in range(epochs):
        train_epoch(model, optimizer, fit)
        val_loss = validation_loss(model, val)
        trial.report(val_loss, epoch + 1)
        trial.set_user_attr("epochs", epoch + 1)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return val_loss


def study_of(args, storage_path):
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(storage_path))
    if args.sweep == "grid":
        grid = {"encoder": list(range(len(ENCODERS))), "dropout": DROPOUTS, "l2": L2S, "learningRate": RATES}
        sampler, pruner = optuna.samplers.GridSampler(grid, seed=args.seed), optuna.pruners.NopPruner()
    else:
        sampler = optuna.samplers.TPESampler(seed=args.seed)
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=6, reduction_factor=3)
    return optuna.create_study(study_name="peer", storage=storage, sampler=sampler, pruner=pruner, load_if_exists=True)


def work(args, storage_path, trials):
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load()
    study_of(args, storage_path).optimize(lambda t: objective(t, data, args.epochs), n_trials=trials)


def main():
    args = parse()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        storage_path = os.path.join(tmp, "journal.log")
        study_of(args, storage_path)
        share = [args.limit // args.workers + (1 if i < args.limit % args.workers else 0) for i in range(args.workers)]
        started = time.perf_counter()
        procs = [Process(target=work, args=(args, storage_path, n)) for n in share]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        seconds = time.perf_counter() - started
        trials = study_of(args, storage_path).trials
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = min(done, key=lambda t: t.value) if done else None
    print(json.dumps({
        "tool": f"optuna {optuna.__version__} + torch {torch.__version__}",
        "sweep": args.sweep,
        "workers": args.workers,
        "seconds": round(seconds, 2),
        "trials": len(trials),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in trials),
        "epochs": sum(t.user_attrs.get("epochs", 0) for t in trials),
        "best": (
            {"objective": best.value, "params": {**best.params, "encoder": ENCODERS[best.params["encoder"]]}}
            if best
            else None
        ),
    }))


if __name__ == "__main__":
    main()
