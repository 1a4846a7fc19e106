"""Generator steps per second of a WGAN-GP toy run: gantoy against plain eager PyTorch.

The run: the ring of 8 Gaussians (``gantoy.ring8()``),
generator ``16 -> w -> w -> w -> 2`` and critic ``2 -> w -> w -> w -> 1`` with
ReLU, WGAN-GP losses (critic ``E f(G(z)) - E f(x) + 10 E(|grad f(x_hat)| - 1)^2``,
generator ``-E f(G(z))``), batch 256, 5 critic steps per generator step,
Adam ``(1e-4, 0, 0.9)`` for both players. gantoy runs
``gantoy.train(key, gantoy.wgan_gp_config(ring8(), ...), n, metrics=())``
(``jit`` + ``lax.scan``); the reference is the same networks, losses and
updates written below in eager PyTorch (CPU), the way a course exercise would
write them (fakes built once per critic step without a graph, one critic pass
on the concatenated real and fake batch, ``torch.autograd.grad`` with
``create_graph=True`` for the penalty, ``zero_grad(set_to_none=True)``).

Cases: width 128 and width 512 for one seed, and 8 seeds at width 128: gantoy
vmaps the 8 seeds in one program (``w128_8seeds``) or in one vmapped program
per core, each in its own thread (``w128_8seeds_threads``:
``gantoy.train(..., threads=cores)``; XLA runs one vmapped program on one
core), PyTorch trains them one after another.
Steps per second count generator steps summed over seeds. Both libraries use
the same cores (all the process may use) in the same process; the two sides of
a case alternate, repeat after repeat, so a shared machine's load falls on both
alike, and each reported rate is the median over the repeats. gantoy's
compilation is timed separately (first call minus a compiled call of the same
length) and never counted in its rate.

Prints one JSON object a line: ``case``, ``gantoy_steps_per_s``,
``reference_steps_per_s``, ``ratio`` (gantoy / reference; targets: >= 2 at
width 128, >= 1.3 at width 512, >= 2.5 for 8 seeds), then ``seeds``,
``width``, ``n_steps`` (per seed and timed call), ``repeats``, the same rates
per CPU-second of the process (``time.process_time``, all threads: less
sensitive to other processes' load, and it charges gantoy for its second
thread) and their ``cpu_ratio``,
``gantoy_compile_s``, ``threads`` (cores the process may use),
``gantoy_groups`` (the ``threads`` argument given to ``gantoy.train``),
``reference_threads`` (PyTorch's intra-op threads: 1 or all cores, whichever
ran faster in a short calibration, so the reference is not slowed by threads
fighting over busy cores) and ``load_1min`` (``os.getloadavg`` at the end of
the case: other processes competing for the cores).

Usage: ``python benchmarks/gan_throughput.py [--repeats 5] [--steps 96] [--cases w128,w512,w128_8seeds,w128_8seeds_threads]``
(or ``make bench-gan``, which installs ``torch==2.13.0`` into ``.venv`` first).
torch is a benchmark-only dependency: ``gantoy`` never imports it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

# OpenMP threads that spin while waiting collapse when other processes compete
# for the cores (measured here: 2 spinning threads ran 15x slower than 1 under a
# load of 10 on 2 cores); passive waiting is the fair setting for the reference.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import gantoy  # noqa: E402

BATCH = 256
N_CRITIC = 5
Z_DIM = 16
GP_WEIGHT = 10.0
LR, BETAS = 1e-4, (0.0, 0.9)


# ----------------------------------------------------------------------------- reference
def torch_mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))  # PyTorch's default init, as gantoy's "torch" init
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class TorchWGANGP:
    """One seed of the same WGAN-GP run, eager PyTorch."""

    def __init__(self, seed: int, width: int):
        self.gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.G = torch_mlp((Z_DIM, width, width, width, 2))
        self.D = torch_mlp((2, width, width, width, 1))
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        angle = 2 * math.pi * torch.arange(8) / 8
        self.means = 2.0 * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)

    def real(self):
        idx = torch.randint(0, 8, (BATCH,), generator=self.gen)
        return self.means[idx] + 0.02 * torch.randn(BATCH, 2, generator=self.gen)

    def z(self):
        return torch.randn(BATCH, Z_DIM, generator=self.gen)

    def step(self):
        for _ in range(N_CRITIC):
            real = self.real()
            with torch.no_grad():
                fake = self.G(self.z())
            out = self.D(torch.cat([real, fake]))[:, 0]
            loss = out[BATCH:].mean() - out[:BATCH].mean()
            eps = torch.rand(BATCH, 1, generator=self.gen)
            x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(self.D(x_hat).sum(), x_hat, create_graph=True)
            loss = loss + GP_WEIGHT * ((grad.norm(dim=1) - 1) ** 2).mean()
            self.d_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.d_opt.step()
        for p in self.D.parameters():
            p.requires_grad_(False)
        g_loss = -self.D(self.G(self.z())).mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        return g_loss

    def run(self, n_steps):
        for _ in range(n_steps):
            loss = self.step()
        return float(loss.detach())


def check_same_math(width=32, tol=2e-4):
    """The two implementations compute the same thing: from the same parameters
    and batch, the critic gradient (WGAN loss + gradient penalty), its Adam
    update and the generator gradient against the updated critic agree to
    ``tol`` (relative to each array's largest entry)."""
    cfg = gantoy.wgan_gp_config(gantoy.ring8(), g_hidden=(width,) * 3, d_hidden=(width,) * 3, z_dim=Z_DIM)
    state = gantoy.init(jax.random.key(3), cfg)
    k_real, k_z, k_eps = jax.random.split(jax.random.key(4), 3)
    real = cfg.data.sample(k_real, BATCH)
    z = jax.random.normal(k_z, (BATCH, Z_DIM))
    fake = gantoy.generate(cfg, state.g_params, z)
    eps = jax.random.uniform(k_eps, (BATCH, 1))  # what gradient_penalty draws from k_eps

    def d_loss(d):
        crit = gantoy.critic_fn(cfg, d)
        pen = gantoy.gan.losses.gradient_penalty(k_eps, crit, real, fake, weight=GP_WEIGHT)
        return gantoy.gan.losses.wgan_critic_loss(crit(real), crit(fake)) + pen

    d_grads = jax.grad(d_loss)(state.d_params)
    tx = gantoy.gan.engine.make_optimizer(cfg.d_opt)
    updates, _ = tx.update(d_grads, tx.init(state.d_params), state.d_params)
    d_new = jax.tree_util.tree_map(lambda p, u: p + u, state.d_params, updates)
    g_grads = jax.grad(lambda g: -jnp.mean(gantoy.critic_fn(cfg, d_new)(gantoy.generate(cfg, g, z))))(state.g_params)

    ref = TorchWGANGP(0, width)
    with torch.no_grad():
        for net, params in ((ref.G, state.g_params), (ref.D, state.d_params)):
            linears = [m for m in net if isinstance(m, torch.nn.Linear)]
            for lin, (w, b) in zip(linears, params):
                lin.weight.copy_(torch.from_numpy(np.array(w).T))
                lin.bias.copy_(torch.from_numpy(np.array(b)))
    t = lambda a: torch.from_numpy(np.array(a))
    real_t, fake_t, eps_t = t(real), t(fake), t(eps)
    out = ref.D(torch.cat([real_t, fake_t]))[:, 0]
    x_hat = (eps_t * real_t + (1 - eps_t) * fake_t).requires_grad_(True)
    (grad,) = torch.autograd.grad(ref.D(x_hat).sum(), x_hat, create_graph=True)
    loss = out[BATCH:].mean() - out[:BATCH].mean() + GP_WEIGHT * ((grad.norm(dim=1) - 1) ** 2).mean()
    ref.d_opt.zero_grad(set_to_none=True)
    loss.backward()
    ref_d_grads = [(lin.weight.grad.clone(), lin.bias.grad.clone()) for lin in ref.D if isinstance(lin, torch.nn.Linear)]
    ref.d_opt.step()
    g_loss = -ref.D(ref.G(t(z))).mean()
    ref.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()

    pairs = []
    d_lin = [m for m in ref.D if isinstance(m, torch.nn.Linear)]
    g_lin = [m for m in ref.G if isinstance(m, torch.nn.Linear)]
    for lin, (rw, rb), (gw, gb), (w0, b0), (w1, b1) in zip(d_lin, ref_d_grads, d_grads, state.d_params, d_new):
        pairs += [(np.array(gw).T, rw.numpy()), (np.array(gb), rb.numpy())]  # critic gradient
        step_w = lin.weight.detach().numpy() - np.array(w0).T  # the Adam update itself
        step_b = lin.bias.detach().numpy() - np.array(b0)
        pairs += [(np.array(w1 - w0).T, step_w), (np.array(b1 - b0), step_b)]
    for lin, (gw, gb) in zip(g_lin, g_grads):
        pairs += [(np.array(gw).T, lin.weight.grad.numpy()), (np.array(gb), lin.bias.grad.numpy())]
    scale = lambda a, b: max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-6)
    err = max(float(np.max(np.abs(a - b))) / scale(a, b) for a, b in pairs)
    if not err < tol:
        raise SystemExit(f"gantoy and the PyTorch reference disagree: max relative error {err:.2e} >= {tol}")
    return err


# ----------------------------------------------------------------------------- gantoy
def gantoy_runner(width: int, seeds: int, n_steps: int, threads: int = 1):
    """A call that trains ``n_steps`` generator steps (fresh state each call) and waits for the result."""
    cfg = gantoy.wgan_gp_config(gantoy.ring8(), g_hidden=(width,) * 3, d_hidden=(width,) * 3, z_dim=Z_DIM)
    key = jax.random.key(0)
    n_seeds = seeds if seeds > 1 else None
    # Initialise outside the timed call (both sides time training only).
    state = gantoy.train(key, cfg, 0, n_seeds=n_seeds, metrics=()).state
    jax.block_until_ready(state)

    def call():
        res = gantoy.train(key, cfg, n_steps, n_seeds=n_seeds, metrics=(), state=state, threads=threads)
        return jax.block_until_ready(res.state)

    return call


def torch_runner(width: int, seeds: int, n_steps: int):
    models = [TorchWGANGP(s, width) for s in range(seeds)]

    def call():
        return [m.run(n_steps) for m in models]

    return call


def best_torch_threads(width, threads, n_steps=5):
    """PyTorch's faster intra-op thread count, 1 or all cores (a short calibration run each)."""
    if threads == 1:
        return 1
    rates = {}
    for t in (threads, 1, threads, 1):
        torch.set_num_threads(t)
        model = TorchWGANGP(99, width)
        model.run(1)
        start = time.perf_counter()
        model.run(n_steps)
        rates[t] = max(rates.get(t, 0.0), n_steps / (time.perf_counter() - start))
    return max(rates, key=rates.get)


def measure(case, *, width, seeds, n_steps, repeats, threads, groups=1):
    ref_threads = best_torch_threads(width, threads)
    torch.set_num_threads(ref_threads)
    g_call = gantoy_runner(width, seeds, n_steps, groups)
    t_call = torch_runner(width, seeds, n_steps)
    start = time.perf_counter()
    g_call()  # compiles
    first = time.perf_counter() - start
    t_call()  # warm-up (allocator, thread pool)
    g_times, t_times, g_cpu, t_cpu = [], [], [], []
    for _ in range(repeats):
        for call, times, cpu in ((g_call, g_times, g_cpu), (t_call, t_times, t_cpu)):
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    steps = seeds * n_steps
    g_rate = steps / statistics.median(g_times)
    t_rate = steps / statistics.median(t_times)
    g_cpu_rate = steps / statistics.median(g_cpu)
    t_cpu_rate = steps / statistics.median(t_cpu)
    row = {
        "case": case,
        "gantoy_steps_per_s": round(g_rate, 1),
        "reference_steps_per_s": round(t_rate, 1),
        "ratio": round(g_rate / t_rate, 2),
        "seeds": seeds,
        "width": width,
        "n_steps": n_steps,
        "repeats": repeats,
        "gantoy_steps_per_cpu_s": round(g_cpu_rate, 1),
        "reference_steps_per_cpu_s": round(t_cpu_rate, 1),
        "cpu_ratio": round(g_cpu_rate / t_cpu_rate, 2),
        "gantoy_compile_s": round(first - statistics.median(g_times), 2),
        "threads": threads,
        "gantoy_groups": groups,
        "reference_threads": ref_threads,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row), flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per side and case (median reported)")
    parser.add_argument(
        "--steps", type=int, default=96, help="generator steps per timed call at width 128, one seed (an eighth of it per seed in the other cases)"
    )
    parser.add_argument("--cases", default="w128,w512,w128_8seeds,w128_8seeds_threads", help="comma-separated subset of the cases")
    args = parser.parse_args(argv)
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    err = check_same_math()
    print(f"check: same losses and updates as the PyTorch reference (max relative error {err:.1e})", file=sys.stderr)
    eighth = max(1, args.steps // 8)
    cases = {
        "w128": dict(width=128, seeds=1, n_steps=args.steps),
        "w512": dict(width=512, seeds=1, n_steps=eighth),
        "w128_8seeds": dict(width=128, seeds=8, n_steps=eighth),
        # the same 8 seeds as one vmapped program per core (gantoy.train(..., threads=cores))
        "w128_8seeds_threads": dict(width=128, seeds=8, n_steps=eighth, groups=max(g for g in (1, 2, 4, 8) if g <= threads)),
    }
    for name in args.cases.split(","):
        measure(f"wgan_gp_{name}", repeats=args.repeats, threads=threads, **cases[name])


if __name__ == "__main__":
    main()
