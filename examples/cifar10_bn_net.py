"""The classic BatchNorm net on CIFAR-10, with the usual augmentation and SGD recipe.

python examples/cifar10_bn_net.py --data-dir ~/cifar10 --download   # CIFAR-10 (binary version), fetched there
python examples/cifar10_bn_net.py --data-dir ~/cifar10              # ... already extracted there
python examples/cifar10_bn_net.py                                   # no CIFAR-10: coloured synthetic digits
MINIGRAD_SMOKE=1 python examples/cifar10_bn_net.py                  # a few steps only (CI)

Body: three blocks of [Conv 3x3 pad 1 -> BN2d -> ReLU -> MaxPool 2] with 64, 128, 256 channels.
Head: FC 256*4*4 -> 1024 -> BN1d -> ReLU -> FC 10. Augmentation: RandomCrop(32, padding=4) and a
horizontal flip. SGD, lr 0.1, momentum 0.9, weight decay 5e-4, cosine schedule. One epoch of
CIFAR-10 is 782 steps of a net ~20x LeNet's work: expect hours on a laptop CPU.
"""

import argparse
import os

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.data import CIFAR10, DataLoader, DigitsSynth, ImageDataset, transforms
from minigrad.models import cifar_bn_net

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="folder holding cifar-10-batches-bin/ (default: coloured synthetic digits)")
parser.add_argument("--download", action="store_true", help="fetch cifar-10-binary.tar.gz into --data-dir")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--smoke", action="store_true", default=os.environ.get("MINIGRAD_SMOKE") == "1")
args = parser.parse_args()
minigrad.manual_seed(0)
minigrad.keep_freed_memory()  # reuse freed memory: halves a training step (minigrad/allocator.py)

# 1. Data, as torchvision users write it: augment the uint8 HWC images, then ToTensor and Normalize.
#    Every transform takes the whole batch at once and owns its seeded generator.
mean, std = CIFAR10.mean, CIFAR10.std
augment_and_standardize = transforms.Compose([
    transforms.RandomCrop(32, padding=4, seed=1),
    transforms.RandomHorizontalFlip(seed=2),
    transforms.ToTensor(),
    transforms.Normalize(mean, std),
])  # fmt: skip
standardize = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])


def coloured_digits(train: bool, transform: transforms.Compose) -> ImageDataset:
    """A stand-in with CIFAR-10's shapes: digits padded to 32x32 and tinted a random colour."""
    digits = DigitsSynth(train=train, count=2000 if train else 500)
    tint = np.random.default_rng(0 if train else 1).uniform(0.3, 1.0, (len(digits), 1, 1, 3))
    images = (np.pad(digits.data, ((0, 0), (2, 2), (2, 2)))[..., None] * tint).astype(np.uint8)
    return ImageDataset(images, digits.targets, transform)  # (N, 32, 32, 3), like CIFAR10.data


if args.data_dir:
    train_set = CIFAR10(args.data_dir, train=True, transform=augment_and_standardize, download=args.download)
    test_set = CIFAR10(args.data_dir, train=False, transform=standardize, download=args.download)
else:
    print("no --data-dir: training on coloured synthetic digits (pass --data-dir DIR --download for CIFAR-10)")
    train_set, test_set = coloured_digits(True, augment_and_standardize), coloured_digits(False, standardize)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
test_loader = DataLoader(test_set, batch_size=250)
steps_per_epoch = 3 if args.smoke else len(train_loader)

# 2. The net and the recipe.
model = cifar_bn_net()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps_per_epoch)

for epoch in range(1, args.epochs + 1):
    model.train()
    for step, (images, labels) in enumerate(train_loader):
        if step == steps_per_epoch:
            break
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 20 == 0:
            print(f"epoch {epoch} step {step}/{steps_per_epoch}: loss {loss.item():.4f}", flush=True)

    model.eval()
    correct = seen = 0
    with minigrad.no_grad():
        for step, (images, labels) in enumerate(test_loader):
            if args.smoke and step == 1:
                break
            correct += int((model(images).argmax(1).array == labels.array).sum())
            seen += len(labels)
    print(f"epoch {epoch}: test accuracy {correct / seen:.2%} on {seen} images")
