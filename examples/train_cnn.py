"""Train LeNet-BN on digits: the whole loop, written out, the way PyTorch users write it.

python examples/train_cnn.py                          # built-in synthetic digits: no download
python examples/train_cnn.py --data-dir ~/mnist       # real MNIST from that folder
python examples/train_cnn.py --data-dir ~/mnist --download   # ... fetched there first (md5-checked)
MINIGRAD_SMOKE=1 python examples/train_cnn.py         # a few steps only (CI)
"""

import argparse
import os

import minigrad
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.data import MNIST, DataLoader, DigitsSynth, transforms
from minigrad.models import lenet_bn

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="folder with (or for) the MNIST .gz files; default: synthetic digits")
parser.add_argument("--download", action="store_true")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--smoke", action="store_true", default=os.environ.get("MINIGRAD_SMOKE") == "1")
args = parser.parse_args()
minigrad.manual_seed(0)
minigrad.keep_freed_memory()  # reuse freed memory: halves a training step (minigrad/allocator.py)

# 1. Data: uint8 images (N, 28, 28); the transform makes float (N, 1, 28, 28) batches, standardised.
if args.data_dir:
    mean, std = MNIST.mean, MNIST.std
    train_set = MNIST(args.data_dir, train=True, download=args.download)
    test_set = MNIST(args.data_dir, train=False, download=args.download)
else:
    train_set, test_set = DigitsSynth(train=True), DigitsSynth(train=False)
    mean, std = DigitsSynth.mean, DigitsSynth.std
train_set.transform = test_set.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=0)
test_loader = DataLoader(test_set, batch_size=500)
steps_per_epoch = 5 if args.smoke else len(train_loader)

# 2. LeNet-BN: Conv(1->32) BN ReLU Pool, Conv(32->64) BN ReLU Pool, Linear(3136->128) BN ReLU, Linear(128->10).
model = lenet_bn()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps_per_epoch)

for epoch in range(1, args.epochs + 1):
    # 3. Train: one pass over shuffled batches; the learning rate follows the cosine per step.
    model.train()
    for step, (images, labels) in enumerate(train_loader):
        if step == steps_per_epoch:
            break
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0:
            print(f"epoch {epoch} step {step}/{steps_per_epoch}: loss {loss.item():.4f}", flush=True)

    # 4. Test: eval mode (running BatchNorm statistics), no graph.
    model.eval()
    correct = 0
    with minigrad.no_grad():
        for step, (images, labels) in enumerate(test_loader):
            if args.smoke and step == 1:
                break
            correct += int((model(images).argmax(1).array == labels.array).sum())
    seen = min(len(test_set), 500) if args.smoke else len(test_set)
    print(f"epoch {epoch}: test accuracy {correct / seen:.2%}")

# 5. Save: npz, written atomically, never pickled.
minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "lenet_bn.npz")
print("saved lenet_bn.npz")
