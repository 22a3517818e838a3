#!/usr/bin/env python3
"""CPU anchor: the same MLP and epochs as mlp_numpy.py in PyTorch (nn.Linear, Adam(1e-3, eps 1e-7),
cross-entropy), threads pinned with torch.set_num_threads. PyTorch's CPU products go to the BLAS
that libblas.so.3 resolves to: on Debian, OpenBLAS only when libopenblas0-pthread is installed, else
the reference BLAS at a small fraction of the speed, which the runtime report names ("blas").
Prints one JSON object: {"anchor": "torch", "runtime": {...}, "shapes": [...]}.
Usage: mlp_torch_cpu.py --data PREFIX [--shapes 64x100] [--epochs 3] [--threads 1] [--seed 0]
"""
import json
from anchor_common import best_epoch_speed, load_dataset, parse_shapes, runtime_report, shape_args, shape_figure

a = shape_args("PyTorch CPU MLP anchor")
import torch  # after shape_args has pinned the BLAS and OpenMP threads

torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
x_all, y_all, meta = load_dataset(a.data)
train = meta["train"]
X = torch.from_numpy(x_all[:train]); Y = torch.from_numpy(y_all[:train])
Xtest = torch.from_numpy(x_all[train:]); ytest = torch.from_numpy(y_all[train:])


def run_shape(H, B):
    torch.manual_seed(a.seed)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], H), torch.nn.ReLU(), torch.nn.Linear(H, 10))
    for layer in (model[0], model[2]):
        torch.nn.init.xavier_uniform_(layer.weight); torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    N = len(X)

    def epoch():
        order = torch.randperm(N)
        for i in range(0, N, B):
            idx = order[i:i + B]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(X[idx]), Y[idx]).backward()
            opt.step()

    speed = best_epoch_speed(a.epochs, N, epoch)
    with torch.no_grad():
        accuracy = float((model(Xtest).argmax(1) == ytest).float().mean())
    return shape_figure(H, B, a.epochs, speed, accuracy)


shapes = [run_shape(H, B) for H, B in parse_shapes(a.shapes)]
runtime = runtime_report(a.threads)
runtime["torch"] = torch.__version__
runtime["torch_threads"] = torch.get_num_threads()
capability = [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
runtime["torch_cpu_capability"] = capability[0] if capability else None
print(json.dumps({"anchor": "torch", "runtime": runtime, "shapes": shapes}))
