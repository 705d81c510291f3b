"""An nn / optim / DataLoader training loop, the way tutorials write one: a model, a loss, an
optimizer, a schedule, train and eval modes, gradient clipping, a checkpoint saved and loaded
back. Each optimizer trains the same model from the same weights (set from numpy, so that both
engines start equal); the data is not shuffled, so both see the same batches."""

import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(1)
features = rng.standard_normal((240, 8)).astype(np.float32)
labels = (features[:, 0] + features[:, 1] * features[:, 2] > 0).astype(np.int64) + (features[:, 3] > 1)
train = TensorDataset(torch.from_numpy(features[:192]), torch.from_numpy(labels[:192]))
test = TensorDataset(torch.from_numpy(features[192:]), torch.from_numpy(labels[192:]))
train_loader = DataLoader(train, batch_size=32, shuffle=False)
test_loader = DataLoader(test, batch_size=48)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.0), nn.Linear(32, 16), nn.Tanh())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.layers(x))


def set_weights(model, seed):
    weights = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            bound = 1 / math.sqrt(p.shape[-1])
            p.copy_(torch.from_numpy(weights.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def evaluate(model):
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for x, y in test_loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
    return total / len(test_loader.dataset), correct


optimizers = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params, lr=1e-2),
    "adamw": lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.05),
    "rmsprop": lambda params: torch.optim.RMSprop(params, lr=1e-2),
    "adagrad": lambda params: torch.optim.Adagrad(params, lr=0.1),
    "adadelta": lambda params: torch.optim.Adadelta(params, lr=1.0),
}
for name, make in optimizers.items():
    model = Net()
    set_weights(model, 7)
    optimizer = make(model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(4):
        model.train()
        running = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            running += loss.item() * x.size(0)
        scheduler.step()
        test_loss, correct = evaluate(model)
        print(name, epoch, running / len(train_loader.dataset), test_loss, correct, scheduler.get_last_lr()[0])

# A checkpoint: save the state dict, load it into a fresh model, and get the same predictions.
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.pth")
    torch.save(model.state_dict(), path)
    restored = Net()
    restored.load_state_dict(torch.load(path, weights_only=True))
restored.eval()
x, _ = test[0:5]
print("restored", (restored(x) - model(x)).abs().max().item(), sum(p.numel() for p in restored.parameters()))
