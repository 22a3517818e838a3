#!/usr/bin/env python3
"""CPU anchor: the LeNet-style CNN of bench/cnn.ts in PyTorch: Conv2d(1, 32, 3) relu, MaxPool2d(2),
Conv2d(32, 64, 3) relu, MaxPool2d(2), flatten, Linear(1600, 128) relu, Linear(128, 10); Xavier
(glorot) uniform kernels, zero biases, Adam(1e-3, eps 1e-7), cross-entropy; images 28x28x1 from the
dataset file. Threads pinned with torch.set_num_threads (and OMP/OPENBLAS env before the import).
Driven one epoch at a time over stdin/stdout (anchor_common.py's protocol; "hidden" is ignored).
Usage: cnn_torch_cpu.py --data PREFIX [--threads 1] [--seed 0] [--lr 0.001]
"""
from anchor_common import anchor_args, load_dataset, runtime_report, serve

a = anchor_args("PyTorch CPU CNN anchor")
import torch  # after anchor_args has pinned the BLAS and OpenMP threads

torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
x_all, y_all, meta = load_dataset(a.data)
train = meta["train"]
images = torch.from_numpy(x_all).reshape(-1, 1, 28, 28)
X = images[:train].contiguous(); Y = torch.from_numpy(y_all[:train])
Xtest = images[train:].contiguous(); ytest = torch.from_numpy(y_all[train:])


class TorchCnn:
    def __init__(self, _hidden, B):
        torch.manual_seed(a.seed)
        self.B = B
        nn = torch.nn
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
        for layer in self.model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(layer.weight); nn.init.zeros_(layer.bias)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=a.lr, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()

    def epoch(self):
        self.model.train()
        order = torch.randperm(len(X))
        for i in range(0, len(X), self.B):
            idx = order[i:i + self.B]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(X[idx]), Y[idx]).backward()
            self.opt.step()

    def accuracy(self):
        self.model.eval()
        with torch.no_grad():
            return float((self.model(Xtest).argmax(1) == ytest).float().mean())


def runtime():
    capability = [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
    return {**runtime_report(a.threads), "anchor": "torch-cnn", "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "torch_cpu_capability": capability[0] if capability else None, "mkldnn": torch.backends.mkldnn.is_available()}


serve(TorchCnn, runtime)
