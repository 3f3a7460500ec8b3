"""Benchmark comparator for `npm run bench -- torch` (a measuring stick, never a dependency of thrive).

The experiments' models, tasks and GRPO + THR update written as the plain synchronous PyTorch loop a
researcher would write: the token transformer of agents/policies/token.ts (GPT-2 layout, pre-LN, tanh
GELU, unbiased unembedding, learned positions counting non-pad tokens), the game MLP of game.ts, the
GRPO loss of agents/learner (token ratio, clip 0.2/0.2, 'dapo' token mean, group-std advantages, AdamW
without decay, global-norm clip 1.0) with Token Hidden Reward reweighting (p = 0.5, tau = 0, correct set =
successful rollouts), an Addition-v0 task (two 2-digit operands, exact match, 5 new tokens at most) and
a NumPy KeyDoor-v0 (7x7, 40 steps, 8 one-hot planes, same rules as envs/games/grid.ts). The tasks draw
their problems from NumPy's generator, not thrive's, and do not apply thrive's train/test split (a
hash check per problem): the work per step is the same, the problems are not.

Protocol: one JSON command per stdin line, one JSON reply per stdout line, so the TypeScript side can
interleave its own measurements with these in one run. Run: python3 torch_reference.py THREADS
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
V, PAD, BOS, EOS = 100, 0, 1, 2


def char_id(c):
    return 4 if c == "\n" else (ord(c) - 27 if 32 <= ord(c) <= 126 else 3)


def decode(ids):
    return "".join(chr(i + 27) if 5 <= i <= 99 else ("\n" if i == 4 else "") for i in ids)


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(h["shape"]).copy())
    return out, meta


# ── models ─────────────────────────────────────────────────────────────────────────────────────────

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.d = heads, d
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, bias, cache=None):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if cache[0] is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        att = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(d // self.h)) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, ctx, d=64, heads=4, layers=2):
        super().__init__()
        self.ctx = ctx
        self.tok, self.pos = nn.Embedding(V, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, V, bias=False)

    def load_thrive(self, w):
        """thrive's safetensors names and [in, out] layout → this module's [out, in] Linear weights."""
        with torch.no_grad():
            self.tok.weight.copy_(w["tok_emb"]); self.pos.weight.copy_(w["pos_emb"][: self.ctx])
            for i, blk in enumerate(self.blocks):
                for mod, name in ((blk.qkv, "attn.qkv"), (blk.proj, "attn.proj"), (blk.fc, "mlp.fc"), (blk.out, "mlp.proj")):
                    mod.weight.copy_(w[f"h{i}.{name}.w"].t()); mod.bias.copy_(w[f"h{i}.{name}.b"])
                for ln, name in ((blk.ln1, "ln1"), (blk.ln2, "ln2")):
                    ln.weight.copy_(w[f"h{i}.{name}.g"]); ln.bias.copy_(w[f"h{i}.{name}.b"])
            self.ln.weight.copy_(w["ln_f.g"]); self.ln.bias.copy_(w["ln_f.b"]); self.head.weight.copy_(w["head.w"].t())

    def hidden(self, idx, pos, bias, caches=None):
        x = self.tok(idx) + self.pos(pos.clamp(max=self.ctx - 1))
        for i, blk in enumerate(self.blocks):
            x = blk(x, bias, None if caches is None else caches[i])
        return self.ln(x)


def positions_and_bias(idx):
    """Positions count non-pad tokens; key j is visible to query i when j <= i and j is no pad (or j == i)."""
    real = idx != PAD
    pos = (real.cumsum(1) - real.long()).clamp(min=0)
    t = idx.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    vis = (causal[None] & real[:, None, :]) | torch.eye(t, dtype=torch.bool)[None]
    return pos, torch.where(vis, 0.0, -1e9)[:, None]


def mlp(obs_dim, actions):
    return nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, actions))


# ── GRPO + THR update ──────────────────────────────────────────────────────────────────────────────

def grpo_update(params, opt, logits, hidden, actions, mask, old_logp, rewards, groups, correct, p=0.5):
    """One optimiser step on a [B, L] batch (formulas: docs/algorithms.md). Returns loss and stats."""
    logp_all = logits.log_softmax(-1)
    logp = logp_all.gather(-1, actions[..., None]).squeeze(-1)
    adv_seq = torch.zeros_like(rewards)
    for g in groups.unique():
        m = groups == g
        r = rewards[m]
        std = r.std() if r.numel() > 1 else torch.tensor(0.0)
        if std > 1e-8 * max(1.0, abs(r.mean().item())):
            adv_seq[m] = (r - r.mean()) / (std + 1e-4)
    adv = adv_seq[:, None] * mask
    coef = mask / mask.sum().clamp(min=1)
    with torch.no_grad():  # THR_t = c_t A_t g_t^T M h_t, M = sum over the group's correct tokens of g_s h_s^T
        g_all = F.one_hot(actions, logits.shape[-1]).float() - logp_all.exp()
        h_all = hidden.detach()
        thr = torch.zeros_like(mask)
        for g in groups.unique():
            rows = groups == g
            c = rows & correct
            if not c.any():
                continue
            sel = mask[c] > 0
            M = g_all[c][sel].t() @ h_all[c][sel]
            thr[rows] = coef[rows] * adv[rows] * ((g_all[rows] @ M) * h_all[rows]).sum(-1)
        adv = adv * torch.where(thr.abs() > 0, 1 + p * thr.sign(), torch.ones_like(thr))
    ratio = ((logp - old_logp) * mask).exp()
    clipped = ratio.clamp(0.8, 1.2)
    loss = (-torch.minimum(ratio * adv, clipped * adv) * coef).sum()
    with torch.no_grad():
        ent = -(logp_all.exp() * logp_all).sum(-1)
        d_old = (old_logp - logp) * mask
        stats = torch.stack([(ent * mask).sum(), ((d_old.exp() - d_old - 1) * mask).sum(), (ratio * mask).sum(),
                             (((ratio < 0.8) & (adv < 0)).float() * mask).sum(), (((ratio > 1.2) & (adv > 0)).float() * mask).sum()])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    if torch.isfinite(loss) and torch.isfinite(norm):
        opt.step()
    return loss.item(), stats.tolist()


def adam(params, lr):
    return torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)


# ── batches sent by the TypeScript side ────────────────────────────────────────────────────────────

def token_step(model, opt, b):
    B, T, P, L = b["B"], b["T"], b["P"], b["L"]
    idx = torch.tensor(b["tokens"]).view(B, T)
    pos, bias = positions_and_bias(idx)
    h = model.hidden(idx, pos, bias)[:, P - 1:P - 1 + L]
    return grpo_update(list(model.parameters()), opt, model.head(h), h, *batch_tensors(b))


def game_step(net, opt, b, obs):
    B, L = b["B"], b["L"]
    x = obs.view(B * L, -1)
    h = net[:4](x)
    return grpo_update(list(net.parameters()), opt, net[4](h).view(B, L, -1), h.view(B, L, -1), *batch_tensors(b))


def batch_tensors(b):
    B, L = b["B"], b["L"]
    return (torch.tensor(b["actions"]).view(B, L), torch.tensor(b["mask"], dtype=torch.float32).view(B, L),
            torch.tensor(b["behaviourLogp"], dtype=torch.float32).view(B, L), torch.tensor(b["rewards"], dtype=torch.float32),
            torch.tensor(b["groups"]), torch.tensor(b["correct"], dtype=torch.bool))


# ── sampling with a KV cache ───────────────────────────────────────────────────────────────────────

@torch.no_grad()
def generate(model, prompts, max_new, gen, stop_at_eos=True):
    """Batched incremental sampling (left-padded prompts, per-layer KV cache). Returns (tokens, logps) per row."""
    B, P = len(prompts), max(len(p) for p in prompts)
    idx = torch.full((B, P), PAD, dtype=torch.long)
    for r, p in enumerate(prompts):
        idx[r, P - len(p):] = torch.tensor(p)
    pos, bias = positions_and_bias(idx)
    key_ok = idx != PAD
    caches = [[None, None] for _ in model.blocks]
    h = model.hidden(idx, pos, bias, caches)[:, -1]
    nxt_pos = pos[:, -1] + 1
    out, logps = [[] for _ in range(B)], [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    for step in range(max_new):
        lp = model.head(h).log_softmax(-1)
        tok = torch.multinomial(lp.exp(), 1, generator=gen).squeeze(1)
        chosen = lp.gather(1, tok[:, None]).squeeze(1)
        for r in range(B):
            if not done[r]:
                out[r].append(int(tok[r])); logps[r].append(float(chosen[r]))
        if stop_at_eos:
            done |= tok == EOS
        if done.all() or step == max_new - 1:
            break
        key_ok = torch.cat([key_ok, torch.ones(B, 1, dtype=torch.bool)], 1)
        bias = torch.where(key_ok, 0.0, -1e9)[:, None, None, :]
        h = model.hidden(tok[:, None], nxt_pos[:, None], bias, caches)[:, -1]
        nxt_pos = nxt_pos + 1
    return out, logps


# ── tasks ──────────────────────────────────────────────────────────────────────────────────────────

def addition_problem(rng):
    a, b = int(rng.integers(100)), int(rng.integers(100))
    return [BOS] + [char_id(c) for c in f"{a}+{b}="], str(a + b)


class KeyDoor:
    """KeyDoor-v0 at size 7, 40 steps: rules and observation planes of envs/games/grid.ts, in NumPy."""
    N, C, EMPTY, WALL, KEY, LOCKED, OPEN, GOAL = 7, 8, 0, 1, 2, 3, 5, 6

    def __init__(self):
        self.obs = np.zeros((self.C, self.N, self.N), dtype=np.float32)
        self.flat = self.obs.reshape(self.C, -1)

    def reset(self, rng):
        n = self.N
        cell = np.zeros(n * n, dtype=np.int8)
        cell[:n] = cell[-n:] = cell[::n] = cell[n - 1::n] = self.WALL
        split = int(rng.integers(2, n - 2))
        cell[split::n] = self.WALL
        cell[int(rng.integers(1, n - 1)) * n + split] = self.LOCKED
        left = [y * n + x for y in range(1, n - 1) for x in range(1, split)]
        right = [y * n + x for y in range(1, n - 1) for x in range(split + 1, n - 1)]
        self.agent, key = (int(v) for v in rng.choice(left, 2, replace=False))
        cell[key] = self.KEY
        cell[int(rng.choice(right))] = self.GOAL
        self.cell, self.carry, self.t = cell, False, 0
        self.obs[:] = 0
        for ch, kind in ((0, self.WALL), (2, self.KEY), (3, self.LOCKED), (6, self.GOAL)):
            self.flat[ch][cell == kind] = 1
        self.flat[1, self.agent] = 1
        return self.obs

    def step(self, a):
        self.t += 1
        tgt = self.agent + (-self.N, 1, self.N, -1)[a]
        c, reward, done = self.cell[tgt], 0.0, False
        if c == self.LOCKED:
            if self.carry:
                self.cell[tgt] = self.OPEN; self.flat[3, tgt] = 0; self.flat[5, tgt] = 1
        elif c != self.WALL:
            self.flat[1, self.agent] = 0; self.flat[1, tgt] = 1; self.agent = tgt
            if c == self.KEY:
                self.cell[tgt] = self.EMPTY; self.flat[2, tgt] = 0; self.flat[7] = 1; self.carry = True
            elif c == self.GOAL:
                reward, done = 1.0, True
        return self.obs, reward, done, self.t >= 40


def text_update_loop(model, opt, seconds, rng, gen, groups=8, G=8, max_new=5):
    tokens, updates, t0, learn = 0, 0, time.perf_counter(), 0.0
    while time.perf_counter() - t0 < seconds:
        problems = [addition_problem(rng) for _ in range(groups)]
        prompts = [p for p, _ in problems for _ in range(G)]
        outs, logps = generate(model, prompts, max_new, gen)
        tokens += sum(len(o) for o in outs)
        rewards = [float(o[-1] == EOS and decode(o[:-1]).strip() == problems[i // G][1]) for i, o in enumerate(outs)]
        B, P, L = len(prompts), max(len(p) for p in prompts), max(len(o) for o in outs)
        b = {"B": B, "T": P + L, "P": P, "L": L, "tokens": [], "actions": [], "mask": [], "behaviourLogp": [],
             "rewards": rewards, "groups": [i // G for i in range(B)], "correct": [r > 0 for r in rewards]}
        for p, o, lp in zip(prompts, outs, logps):
            pad = L - len(o)
            b["tokens"] += [PAD] * (P - len(p)) + p + o + [PAD] * pad
            b["actions"] += o + [0] * pad; b["mask"] += [1] * len(o) + [0] * pad; b["behaviourLogp"] += lp + [0.0] * pad
        t1 = time.perf_counter()
        token_step(model, opt, b)
        learn += time.perf_counter() - t1
        updates += 1
    return {"tokens": tokens, "updates": updates, "seconds": time.perf_counter() - t0, "learnerSeconds": learn}


def game_update_loop(net, opt, seconds, rng, gen, groups=8, G=8, T=40):
    steps, updates, t0, learn = 0, 0, time.perf_counter(), 0.0
    envs = [KeyDoor() for _ in range(groups * G)]
    B, D = len(envs), 8 * 49
    while time.perf_counter() - t0 < seconds:
        obs = np.zeros((B, T, D), dtype=np.float32)
        cur = np.zeros((B, D), dtype=np.float32)
        actions, logp = np.zeros((B, T), dtype=np.int64), np.zeros((B, T), dtype=np.float32)
        lens, success, live = [0] * B, [0.0] * B, list(range(B))
        for g in range(groups):
            seed = int(rng.integers(2**31))
            for m in range(G):
                cur[g * G + m] = envs[g * G + m].reset(np.random.default_rng(seed)).reshape(-1)
        while live:
            with torch.no_grad():
                lp = net(torch.from_numpy(cur[live])).log_softmax(-1)
                a = torch.multinomial(lp.exp(), 1, generator=gen).squeeze(1)
                la = lp.gather(1, a[:, None]).squeeze(1)
            still = []
            for j, n in enumerate(live):
                t = lens[n]
                obs[n, t] = cur[n]; actions[n, t] = int(a[j]); logp[n, t] = float(la[j])
                o, r, term, trunc = envs[n].step(int(a[j]))
                lens[n] = t + 1; steps += 1
                if term or trunc:
                    success[n] = r
                else:
                    cur[n] = o.reshape(-1); still.append(n)
            live = still
        L = max(lens)
        mask = (np.arange(L)[None] < np.array(lens)[:, None]).astype(np.float32)
        b = {"B": B, "L": L, "actions": actions[:, :L].reshape(-1).tolist(), "mask": mask.reshape(-1).tolist(),
             "behaviourLogp": logp[:, :L].reshape(-1).tolist(), "rewards": success, "groups": [i // G for i in range(B)],
             "correct": [s > 0 for s in success]}
        t1 = time.perf_counter()
        game_step(net, opt, b, torch.from_numpy(np.ascontiguousarray(obs[:, :L])))
        learn += time.perf_counter() - t1
        updates += 1
    return {"steps": steps, "updates": updates, "seconds": time.perf_counter() - t0, "learnerSeconds": learn}


# ── command loop ───────────────────────────────────────────────────────────────────────────────────

def blas_library():
    try:
        libs = {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() or "lapack" in line.lower()}
        return sorted(libs)
    except OSError:
        return []


def timed_both(f, reps):
    """Wall and CPU milliseconds per call (the process's CPU time: torch runs on this one thread)."""
    f()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t0) / reps * 1000, (time.process_time() - c0) / reps * 1000


def timed(f, reps):
    return timed_both(f, reps)[0]


def main():
    state = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        kind = cmd["cmd"]
        if kind == "info":
            a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
            ms = timed(lambda: a @ b, 5)
            reply = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(), "gflops1024": 2 * 1024**3 / ms / 1e6}
        elif kind == "load":  # a learner batch (JSON) and, for games, its observations (raw float32)
            b = json.load(open(cmd["path"]))
            torch.manual_seed(0)
            if b["kind"] == "token":
                model = GPT(b["context"]); model.load_thrive(load_safetensors(b["checkpoint"])[0])
                state[cmd["name"]] = ("token", model, adam(model.parameters(), b["lr"]), b, None)
            else:
                net = mlp(b["obsDim"], b["numActions"])
                obs = torch.from_numpy(np.fromfile(b["obsPath"], dtype=np.float32)).view(b["B"], b["L"], -1)
                state[cmd["name"]] = ("game", net, adam(net.parameters(), b["lr"]), b, obs)
            reply = {"ok": True}
        elif kind == "learner":
            k, model, opt, b, obs = state[cmd["name"]]
            f = (lambda: token_step(model, opt, b)) if k == "token" else (lambda: game_step(model, opt, b, obs))
            ms, cpu = timed_both(f, cmd["reps"])
            reply = {"ms": ms, "cpuMs": cpu}
        elif kind == "sample":
            torch.manual_seed(0)
            model = GPT(cmd["context"]); model.load_thrive(load_safetensors(cmd["checkpoint"])[0])
            rng, gen = np.random.default_rng(1), torch.Generator().manual_seed(1)
            prompts = [[int(v) for v in rng.integers(4, 94, cmd["prompt"])] for _ in range(cmd["rows"])]
            new = cmd["context"] - cmd["prompt"]
            ms, cpu = timed_both(lambda: generate(model, prompts, new, gen, stop_at_eos=False), cmd["reps"])
            reply = {"tokensPerSec": cmd["rows"] * new / (ms / 1000), "cpuMs": cpu}
        elif kind == "e2e":
            torch.manual_seed(0)
            rng, gen = np.random.default_rng(cmd.get("seed", 1)), torch.Generator().manual_seed(cmd.get("seed", 1))
            if cmd["task"] == "text":
                model = GPT(cmd["context"]); model.load_thrive(load_safetensors(cmd["checkpoint"])[0])
                text_update_loop(model, adam(model.parameters(), cmd["lr"]), cmd["warmup"], rng, gen)
                reply = text_update_loop(model, adam(model.parameters(), cmd["lr"]), cmd["seconds"], rng, gen)
            else:
                net = mlp(8 * 49, 4)
                game_update_loop(net, adam(net.parameters(), cmd["lr"]), cmd["warmup"], rng, gen)
                reply = game_update_loop(net, adam(net.parameters(), cmd["lr"]), cmd["seconds"], rng, gen)
        else:
            reply = {"error": f"unknown command {kind}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
