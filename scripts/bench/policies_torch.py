"""Measuring stick for scripts/bench/policies.ts (never a dependency): the same training step in PyTorch.

The same architectures as agents/policies (GPT-2-style pre-LN causal transformer with tanh-GELU and an
unbiased unembedding; tanh MLP for games), the same loss (mean token NLL) and Adam. Prints one JSON line.
Run: /usr/bin/python3 scripts/bench/policies_torch.py THREADS TOKEN_B TOKEN_T GAME_N OBS_DIM"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads, B, T, GN, OBS = (int(x) for x in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
V, D, H, LAYERS, CTX = 100, 64, 4, 2, 128


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc, self.out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x, mask):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = (z.view(b, t, H, D // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // H) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, D)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, D), nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, V, bias=False)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        mask = torch.full((t, t), -1e9).triu(1)
        for blk in self.blocks:
            x = blk(x, mask)
        return self.head(self.ln(x))


def timeit(model, make_loss, reps=20):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        opt.zero_grad(); make_loss().backward(); opt.step()
    t0 = time.perf_counter()
    for _ in range(reps):
        opt.zero_grad(); make_loss().backward(); opt.step()
    return (time.perf_counter() - t0) / reps * 1000


gpt = GPT()
idx = torch.randint(0, V, (B, T))
token_ms = timeit(gpt, lambda: F.cross_entropy(gpt(idx)[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1)))
mlp = nn.Sequential(nn.Linear(OBS, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 5))
obs = torch.rand(GN, OBS)
acts = torch.randint(0, 5, (GN,))
game_ms = timeit(mlp, lambda: F.cross_entropy(mlp(obs), acts), reps=50)
print(json.dumps({"torch": torch.__version__, "threads": threads, "tokenStepMs": token_ms, "gameStepMs": game_ms}))
