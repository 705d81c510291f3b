"""How hard are the built-in synthetic digits? A linear model against LeNet-BN.

The embedded default should be hard enough that a CNN clearly beats a linear model, and easy
enough that LeNet-BN passes 97% after one epoch. This measures both on the same data, with
the same loop as ``minigrad train``:

    python bench/digits_difficulty.py [--linear-epochs 10]
"""

from __future__ import annotations

import argparse

import minigrad
from minigrad import data, nn, optim, training
from minigrad.data import transforms
from minigrad.models import lenet_bn


def run(model: nn.Module, optimizer: optim.Optimizer, epochs: int, name: str) -> float:
    standardize = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize(data.DigitsSynth.mean, data.DigitsSynth.std)]
    )
    train_loader = data.DataLoader(data.DigitsSynth(train=True, transform=standardize), 64, shuffle=True, seed=0)
    test_loader = data.DataLoader(data.DigitsSynth(train=False, transform=standardize), 500)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(train_loader))
    history, _ = training.fit(model, train_loader, test_loader, optimizer, schedule, epochs)
    print(f"{name}: test accuracy {history[-1]['test_acc']:.2%} after {epochs} epoch(s)\n", flush=True)
    return history[-1]["test_acc"]


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--linear-epochs", type=int, default=10)
args = parser.parse_args()

minigrad.manual_seed(0)
linear = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
linear_accuracy = run(
    linear, optim.Adam(linear.parameters(), lr=1e-3), args.linear_epochs, "linear (softmax regression)"
)
minigrad.manual_seed(0)
cnn = lenet_bn()
cnn_accuracy = run(cnn, optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4), 1, "LeNet-BN")
print(f"linear {linear_accuracy:.2%} ({args.linear_epochs} epochs) vs LeNet-BN {cnn_accuracy:.2%} (1 epoch)")
