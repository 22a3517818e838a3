#!/usr/bin/env python3
"""CPU anchor: the same MLP and epochs as mlp_numpy.py in PyTorch (nn.Linear, Adam(1e-3, eps 1e-7),
cross-entropy), threads pinned with torch.set_num_threads. PyTorch's CPU products go to the BLAS
that libblas.so.3 resolves to: on Debian, OpenBLAS only when libopenblas0-pthread is installed, else
the reference BLAS at a small fraction of the speed, which the runtime report names ("blas").
Driven one epoch at a time over stdin/stdout, as mlp_numpy.py.
Usage: mlp_torch_cpu.py --data PREFIX [--threads 1] [--seed 0] [--lr 0.001]
"""
from anchor_common import anchor_args, load_dataset, runtime_report, serve

a = anchor_args("PyTorch CPU MLP anchor")
import torch  # after anchor_args has pinned the BLAS and OpenMP threads

torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
x_all, y_all, meta = load_dataset(a.data)
train = meta["train"]
X = torch.from_numpy(x_all[:train]); Y = torch.from_numpy(y_all[:train])
Xtest = torch.from_numpy(x_all[train:]); ytest = torch.from_numpy(y_all[train:])


class TorchMlp:
    def __init__(self, H, B):
        torch.manual_seed(a.seed)
        self.B = B
        self.model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], H), torch.nn.ReLU(), torch.nn.Linear(H, 10))
        for layer in (self.model[0], self.model[2]):
            torch.nn.init.xavier_uniform_(layer.weight); torch.nn.init.zeros_(layer.bias)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=a.lr, eps=1e-7)
        self.loss = torch.nn.CrossEntropyLoss()

    def epoch(self):
        order = torch.randperm(len(X))
        for i in range(0, len(X), self.B):
            idx = order[i:i + self.B]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(X[idx]), Y[idx]).backward()
            self.opt.step()

    def accuracy(self):
        with torch.no_grad():
            return float((self.model(Xtest).argmax(1) == ytest).float().mean())


def runtime():
    capability = [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
    return {**runtime_report(a.threads), "anchor": "torch", "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "torch_cpu_capability": capability[0] if capability else None}


serve(TorchMlp, runtime)
