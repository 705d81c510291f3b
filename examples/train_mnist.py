"""Train LeNet-BN on MNIST with minigrad: the whole loop, written out.

python examples/train_mnist.py --data ~/mnist            # downloads the files there if missing
python examples/train_mnist.py --data ../shared/data/mnist --epochs 1
"""

import argparse

import minigrad
import minigrad.nn.functional as F
from minigrad import data, nn, optim

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="folder with (or for) the MNIST .gz files")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=64)
args = parser.parse_args()

minigrad.manual_seed(0)
train_images, train_labels = data.load_mnist(args.data, train=True)
test_images, test_labels = data.load_mnist(args.data, train=False)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(3136, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10),
)  # fmt: skip
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

for epoch in range(args.epochs):
    model.train()
    for step, (images, labels) in enumerate(data.batches(train_images, train_labels, args.batch_size, seed=epoch)):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(minigrad.tensor(data.normalize_images(images))), minigrad.tensor(labels))
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(f"epoch {epoch + 1} step {step}: loss {loss.item():.4f}")
    schedule.step()

    model.eval()
    with minigrad.no_grad():
        correct = sum(
            int((model(minigrad.tensor(data.normalize_images(x))).argmax(1).array == y).sum())
            for x, y in data.batches(test_images, test_labels, 1000, shuffle=False)
        )
    print(f"epoch {epoch + 1}: test accuracy {correct / len(test_images):.2%}")
    minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "lenet_bn.npz")
