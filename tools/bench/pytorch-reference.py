#!/usr/bin/env python3
"""
The PyTorch side of `models-train.mjs`: the same three trainings with the same shapes,
on the CPU, so aelab's wasm figures can be read as ratios measured in one run.

    python3 tools/bench/pytorch-reference.py [--only dense,conv1d,lstm,throughput] [--repeat 3] [--threads 1]

Same work as models-train.mjs: 263 training rows and 29 validation rows of 140 sine-like
values, batch 32, Adam 1e-3, MSE, a validation loss every epoch; ecg-v3 (140-128-64-32-16-
32-64-128-140 relu, dropout 0.2 and L2 0.001 on the first two layers) for 100 epochs,
conv1d-small (Conv1D 32/16 k7 + max-pool 2, mirrored with upsampling) for 20 epochs,
lstm-seq2seq (LSTM(32) encoder, its last state repeated, LSTM(32) decoder, a dense to 1
feature per step) for 5 epochs. Prints one JSON object: per model the best of --repeat
wall seconds and the process CPU seconds.

PyTorch is not a dependency of aelab: install a CPU wheel into a virtual environment of
your own to run this (e.g. `pip install torch --index-url https://download.pytorch.org/whl/cpu`).
"""
import argparse
import json
import math
import os
import time

import torch
from torch import nn

from torch_autoencoders import DenseAutoencoder, train_epoch, validation_loss

ARGS = argparse.ArgumentParser()
ARGS.add_argument("--only", default="dense,conv1d,lstm")
ARGS.add_argument("--repeat", type=int, default=1)
ARGS.add_argument("--threads", type=int, default=1)
ARGS.add_argument(
    "--plain-dense",
    action="store_true",
    help="dense without dropout and L2 (how the issue's PyTorch figure was taken)",
)
args = ARGS.parse_args()
torch.set_num_threads(args.threads)


def rows_of(rows, features, seed):
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(rows, 1, generator=g) * 2 * math.pi
    steps = torch.arange(features).float() / features * 4 * math.pi
    return torch.sin(phase + steps) + 0.1 * (torch.rand(rows, features, generator=g) - 0.5)


def Dense():
    """ecg-v3: dropout 0.2 after the first two layers, whose kernels carry L2 0.001."""
    return DenseAutoencoder([140, 128, 64, 32, 16, 32, 64, 128], 0.2, 0.001, 0 if args.plain_dense else 2)


class Conv1d(nn.Module):
    """conv1d-small: input [batch, 140] as one channel of 140 steps."""

    def __init__(self):
        super().__init__()
        conv = lambda a, b: nn.Conv1d(a, b, 7, padding=3)
        self.enc = nn.ModuleList([conv(1, 32), conv(32, 16)])
        self.dec = nn.ModuleList([conv(16, 16), conv(16, 32)])
        self.out = conv(32, 1)

    def forward(self, x):
        h = x.unsqueeze(1)
        for layer in self.enc:
            h = nn.functional.max_pool1d(torch.relu(layer(h)), 2, ceil_mode=True)
        for layer in self.dec:
            h = torch.relu(layer(nn.functional.interpolate(h, scale_factor=2, mode="nearest")))
        return self.out(h)[:, 0, :140]

    def penalty(self):
        return 0.0


class Lstm(nn.Module):
    """lstm-seq2seq: each row a sequence of 140 steps of 1 feature."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.LSTM(1, 32, batch_first=True)
        self.decoder = nn.LSTM(32, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        _, (h, _) = self.encoder(x.unsqueeze(-1))
        repeated = h[-1].unsqueeze(1).repeat(1, x.shape[1], 1)
        y, _ = self.decoder(repeated)
        return self.out(y).squeeze(-1)

    def penalty(self):
        return 0.0


def train(model, x, val, epochs, seed=42):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        loss = train_epoch(model, optimizer, x)
        val_loss = validation_loss(model, val)
    return loss, val_loss


def timed(make, epochs):
    x, val = rows_of(263, 140, 1), rows_of(29, 140, 2)
    seconds, cpu = [], []
    for _ in range(args.repeat):
        model = make()
        c0, t0 = time.process_time(), time.perf_counter()
        loss, _ = train(model, x, val, epochs)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "seconds": round(min(seconds), 3),
        "cpuSeconds": round(min(cpu), 3),
        "runs": [round(s, 3) for s in seconds],
        "epochs": epochs,
        "finalLoss": loss,
    }


def throughput():
    """GFLOP/s of the products matmul-throughput.mjs measures on wasm, best of --repeat."""
    x, w = torch.randn(32, 16, 140), torch.randn(32, 16, 7)
    a, b, big = torch.randn(32, 140), torch.randn(140, 128), torch.randn(512, 512)

    def gflops(flops, f, n):
        best = float("inf")
        for _ in range(args.repeat):
            f()
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            best = min(best, (time.perf_counter() - t0) / n)
        return round(flops / best / 1e9, 1)

    return {
        "conv1d": gflops(2 * 32 * 140 * 7 * 16 * 32, lambda: nn.functional.conv1d(x, w, padding=3), 200),
        "dense32x140x128": gflops(2 * 32 * 140 * 128, lambda: a @ b, 2000),
        "matmul512": gflops(2 * 512**3, lambda: big @ big, 50),
    }


only = set(args.only.split(","))
result = {
    "torch": torch.__version__,
    "plainDense": args.plain_dense,
    "threads": torch.get_num_threads(),
    "loadavg": [round(l, 2) for l in os.getloadavg()],
    "repeat": args.repeat,
}
if "dense" in only:
    result["denseEcgV3"] = timed(Dense, 100)
if "conv1d" in only:
    result["conv1d"] = timed(Conv1d, 20)
if "lstm" in only:
    result["lstm"] = timed(Lstm, 5)
if "throughput" in only:
    result["gflops"] = throughput()
print(json.dumps(result, indent=2))
