"""nanoGPT-style code: causal self-attention with masked_fill and a registered mask buffer,
LayerNorm, GELU, Embedding, ModuleList, self.apply(init), AdamW with parameter groups, gradient
clipping, a hand-made lr decay, top-k sampling under @torch.no_grad() with in-place masking, an
RNN cell unrolled by hand, and inference_mode. Weights set from numpy, so both engines start equal."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(0)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d)
        self.register_buffer("mask", torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, 2)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    def __init__(self, vocab, d):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(8, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(2)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.apply(self._init)

    def _init(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.tok(idx) + self.pos(pos)
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln(x))
        loss = (
            None
            if targets is None
            else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        )
        return logits, loss


model = GPT(11, 16)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, tuple(p.shape)).astype(np.float32)))
print("params", sum(p.numel() for p in model.parameters() if p.requires_grad))
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.95)
)
data = torch.from_numpy(rng.integers(0, 11, (64, 9)))
for step in range(6):
    batch = data[step * 8 : (step + 1) * 8]
    x, y = batch[:, :-1], batch[:, 1:]
    logits, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    for g in optimizer.param_groups:
        g["lr"] = g["lr"] * 0.9
    print(step, loss.item())


@torch.no_grad()
def generate(idx, n):
    for _ in range(n):
        logits, _ = model(idx[:, -8:])
        logits = logits[:, -1, :] / 1.0
        v, _ = torch.topk(logits, 3)
        logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        idx_next = torch.argmax(probs, dim=-1, keepdim=True)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


print(generate(torch.zeros((1, 1), dtype=torch.long), 5).tolist())

# an RNN cell by hand and gradient accumulation
W = torch.randn(4, 4) * 0.0 + torch.from_numpy(rng.standard_normal((4, 4)).astype(np.float32)) * 0.3
W.requires_grad_(True)
h = torch.zeros(1, 4)
xs = torch.from_numpy(rng.standard_normal((5, 1, 4)).astype(np.float32))
total = 0
for t in range(5):
    h = torch.tanh(xs[t] @ W + h)
    total = total + h.pow(2).mean()
total.backward()
print("rnn", total.item(), W.grad.norm().item())
acc = torch.zeros(3)
acc += torch.ones(3)
print("acc", acc.tolist(), torch.stack([acc, acc], dim=0).shape[0], torch.numel(acc))
with torch.inference_mode():
    out = model(data[:2, :8])[0]
print("eval", out.argmax(-1).tolist()[0][:3], out.mean().item())
