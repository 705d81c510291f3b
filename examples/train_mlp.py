"""Train an MLP with BatchNorm on a 2-D toy set, and draw what it learned.

python examples/train_mlp.py                      # three interleaved spirals
python examples/train_mlp.py --dataset moons      # two half moons
python examples/train_mlp.py --mnist ~/mnist      # the same MLP on real MNIST digits (784 inputs)
MINIGRAD_SMOKE=1 python examples/train_mlp.py     # a few steps only (CI)

The decision boundary is saved as decision_boundary.png when matplotlib is installed.
"""

import argparse
import os

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.data import MNIST, DataLoader, TensorDataset, moons, spirals, transforms
from minigrad.models import mlp_bn

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--dataset", choices=("spirals", "moons"), default="spirals")
parser.add_argument("--mnist", metavar="DIR", help="train on MNIST from this folder instead")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--smoke", action="store_true", default=os.environ.get("MINIGRAD_SMOKE") == "1")
args = parser.parse_args()
epochs = 1 if args.smoke else args.epochs
minigrad.manual_seed(0)
minigrad.keep_freed_memory()  # reuse freed memory: halves a training step (minigrad/allocator.py)

# 1. Data. A toy set is two arrays (points, labels): a TensorDataset serves rows of them.
if args.mnist:
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = MNIST(args.mnist, train=True, transform=to_input)
    test_set = MNIST(args.mnist, train=False, transform=to_input)
    in_features, classes = 784, 10
else:
    make = spirals if args.dataset == "spirals" else moons
    train_set, test_set = TensorDataset(*make(3000, seed=1)), TensorDataset(*make(1000, seed=2))
    in_features, classes = 2, int(train_set.arrays[1].max()) + 1
train_loader = DataLoader(train_set, batch_size=100, shuffle=True, seed=0)
test_loader = DataLoader(test_set, batch_size=1000)

# 2. Model, optimizer, and a cosine schedule stepped after every batch.
model = mlp_bn(in_features, classes)  # Flatten -> 256 -> BN -> ReLU -> 256 -> BN -> ReLU -> classes
optimizer = optim.Adam(model.parameters(), lr=1e-2 if in_features == 2 else 1e-3)
steps = 3 if args.smoke else epochs * len(train_loader)
schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

# 3. The loop: zero_grad, forward, loss, backward, step.
for epoch in range(1, epochs + 1):
    model.train()
    for step, (x, y) in enumerate(train_loader):
        if args.smoke and step == 3:
            break
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        schedule.step()

    model.eval()  # BatchNorm uses its running statistics from here on
    with minigrad.no_grad():
        correct = sum(int((model(x).argmax(1).array == y.array).sum()) for x, y in test_loader)
    if epoch == epochs or epoch % 10 == 0:
        print(f"epoch {epoch}/{epochs}: last batch loss {loss.item():.4f}, test accuracy {correct / len(test_set):.2%}")

# 4. The decision boundary: classify every point of a grid and colour it by class.
if not args.mnist:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
        print('decision_boundary.png needs matplotlib: pip install -e ".[plot]"')
    if plt is not None:
        points, labels = test_set.arrays
        low, high = points.min(0) - 0.3, points.max(0) + 0.3
        xs, ys = np.meshgrid(np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300))
        grid = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
        with minigrad.no_grad():
            predicted = model(minigrad.tensor(grid)).argmax(1).array.reshape(xs.shape)
        figure, axes = plt.subplots(figsize=(6, 6))
        colours = matplotlib.colors.ListedColormap(["tab:blue", "tab:orange", "tab:green"][:classes])
        axes.contourf(xs, ys, predicted, levels=np.arange(classes + 1) - 0.5, cmap=colours, alpha=0.25)
        axes.scatter(points[:, 0], points[:, 1], c=labels, cmap=colours, s=8, edgecolors="none")
        axes.set_title(f"MLP-BN on {args.dataset}: test accuracy {correct / len(test_set):.1%}")
        axes.set_aspect("equal")
        figure.tight_layout()
        figure.savefig("decision_boundary.png", dpi=100)
        print("decision boundary saved to decision_boundary.png")
