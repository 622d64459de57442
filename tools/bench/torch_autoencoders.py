"""
What the PyTorch benches (pytorch-reference.py, pytorch-ecg5000.py, optuna-peer.py) share:
the dense autoencoder they train and its training epoch, so each script states only its
own protocol. Imported by those scripts (Python puts a script's folder on its path).
"""
import torch
from torch import nn


class DenseAutoencoder(nn.Module):
    """
    Dense relu layers through `widths`, then a linear layer back to `widths[0]` features.
    The first `regularised` hidden layers (all when None) are followed by dropout and their
    kernels carry an L2 penalty of `l2` times their summed squares (Keras' kernel_regularizer).
    """

    def __init__(self, widths, dropout, l2, regularised=None):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.out = nn.Linear(widths[-1], widths[0])
        self.drop = nn.Dropout(dropout)
        self.l2 = l2
        self.regularised = len(self.hidden) if regularised is None else regularised

    def forward(self, x):
        for i, layer in enumerate(self.hidden):
            x = torch.relu(layer(x))
            if i < self.regularised:
                x = self.drop(x)
        return self.out(x)

    def penalty(self):
        regularised = self.hidden[: self.regularised]
        return self.l2 * sum(layer.weight.pow(2).sum() for layer in regularised) if self.l2 > 0 else 0.0


def train_epoch(model, optimizer, x, batch_size=32):
    """One epoch of MSE plus the model's penalty over shuffled batches; returns its mean loss."""
    model.train()
    loss_fn = nn.MSELoss()
    total = 0.0
    for batch in torch.randperm(x.shape[0]).split(batch_size):
        xb = x[batch]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), xb) + model.penalty()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / x.shape[0]


def validation_loss(model, x):
    """The model's MSE on `x` in eval mode, without gradients."""
    model.eval()
    with torch.no_grad():
        return nn.MSELoss()(model(x), x).item()
