#!/usr/bin/env python3
"""Whole-search anchor: the fits of a Keras init-mode grid (one model per initializer and fold) in
plain PyTorch loops spread over --processes processes of one thread each, as GridSearchCV with
n_jobs would. Same folds as nnsearch (the assignment file), same model and training: dense(d->H,
relu) -> dense(H->10, softmax), Adam(lr, eps 1e-7), batches of B from a fresh shuffle every epoch,
the test fold scored after every epoch (nnsearch logs it for its learning curves).
Prints one JSON object: {"anchor": "torch-init-mode", "seconds", "fits", "mean_accuracy": {init: ...}, "runtime"}.
Usage: init_mode_torch.py --data PREFIX --folds FILE --inits uniform,normal [--hidden 128]
       [--epochs 15] [--batch 32] [--lr 0.001] [--processes 2]
The fold file holds one int32 per sample: the fold it is tested in.
"""
import argparse, json, math, time
from anchor_common import load_dataset, pin_threads, runtime_report

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--folds", required=True)
ap.add_argument("--inits", required=True)
ap.add_argument("--hidden", type=int, default=128)
ap.add_argument("--epochs", type=int, default=15)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--processes", type=int, default=2)
a = ap.parse_args()
pin_threads(1)
import numpy as np
import torch
import torch.multiprocessing as mp

torch.set_num_threads(1)
x_all, y_all, _ = load_dataset(a.data)
fold_of = np.fromfile(a.folds, dtype=np.int32)
X = torch.from_numpy(x_all); Y = torch.from_numpy(y_all)


def keras_init(weight, name):
    """Keras's kernel initializers on a torch (out, in) weight."""
    fan_out, fan_in = weight.shape
    with torch.no_grad():
        if name == "zero":
            return weight.zero_()
        if name == "uniform":
            return weight.uniform_(-0.05, 0.05)
        if name == "normal":
            return weight.normal_(0, 0.05)
        uniform_limit = {"lecun_uniform": 3 / fan_in, "glorot_uniform": 6 / (fan_in + fan_out), "he_uniform": 6 / fan_in}
        if name in uniform_limit:
            limit = math.sqrt(uniform_limit[name])
            return weight.uniform_(-limit, limit)
        variance = {"lecun_normal": 1 / fan_in, "glorot_normal": 2 / (fan_in + fan_out), "he_normal": 2 / fan_in}[name]
        std = math.sqrt(variance) / 0.87962566103423978  # Keras's truncated normal at 2 stddev
        return torch.nn.init.trunc_normal_(weight, 0, std, -2 * std, 2 * std)


def fit(task):
    init, fold, seed = task
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    train = torch.from_numpy(np.flatnonzero(fold_of != fold)); test = torch.from_numpy(np.flatnonzero(fold_of == fold))
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, 10))
    for layer in (model[0], model[2]):
        keras_init(layer.weight, init); torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    accuracy = 0.0
    for _ in range(a.epochs):
        order = train[torch.randperm(len(train))]
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(X[idx]), Y[idx]).backward()
            opt.step()
        with torch.no_grad():
            logits = model(X[test])
            loss_fn(logits, Y[test])
            accuracy = float((logits.argmax(1) == Y[test]).float().mean())
    return init, accuracy


if __name__ == "__main__":
    inits = a.inits.split(",")
    folds = sorted(set(int(f) for f in fold_of))
    tasks = [(init, f, 1000 * i + f) for i, init in enumerate(inits) for f in folds]
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(a.processes) as pool:
        results = pool.map(fit, tasks, chunksize=1)
    seconds = time.perf_counter() - t0
    scores = {}
    for init, acc in results:
        scores.setdefault(init, []).append(acc)
    runtime = runtime_report(1)
    runtime["torch"] = torch.__version__
    print(json.dumps({
        "anchor": "torch-init-mode", "processes": a.processes, "threads_per_process": 1, "fits": len(tasks),
        "seconds": round(seconds, 2), "mean_accuracy": {k: round(sum(v) / len(v), 4) for k, v in scores.items()}, "runtime": runtime,
    }))
