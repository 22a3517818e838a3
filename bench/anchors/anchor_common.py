"""What the CPU anchors share: the dataset file the benchmark writes, thread pinning, a report of the
interpreter and the BLAS library actually loaded (not the one the build was configured with), and
the line protocol through which the benchmark drives them one epoch at a time.

Dataset files (written by bench/cpu-anchors.ts): PREFIX.json {"n", "d", "train"}, PREFIX.x.f32
(n x d float32, row-major), PREFIX.y.f32 (n float32 labels). Rows [0, train) are for training, the
rest are held out for accuracy.

Protocol (serve): one JSON request per stdin line, one JSON reply per stdout line:
  {"op": "model", "hidden": H, "batch": B}  a new model (seeded), replies {"ok": true}
  {"op": "epoch"}                            one training epoch over a new shuffle, replies {"seconds": s}
  {"op": "accuracy"}                         held-out accuracy, replies {"accuracy": a}
  {"op": "runtime"}                          interpreter, BLAS, threads: runtime_report()
The benchmark alternates epochs of every side, so a burst of load on the machine hits all alike.
"""
import argparse, json, os, sys, time


def pin_threads(threads):
    """Sets the BLAS / OpenMP thread counts; call before importing numpy or torch."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(threads)


def anchor_args(description):
    """The arguments every anchor takes; the threads are pinned at once."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", required=True, help="dataset prefix written by bench/cpu-anchors.ts")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-3)
    a = ap.parse_args()
    pin_threads(a.threads)
    return a


def load_dataset(prefix):
    import numpy as np
    meta = json.load(open(prefix + ".json"))
    n, d = meta["n"], meta["d"]
    x = np.fromfile(prefix + ".x.f32", dtype=np.float32).reshape(n, d)
    y = np.fromfile(prefix + ".y.f32", dtype=np.float32).astype(np.int64)
    return x, y, meta


def loaded_blas():
    """The BLAS shared libraries mapped into this process."""
    names = set()
    try:
        for line in open("/proc/self/maps"):
            path = line.split()[-1] if "/" in line else ""
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "mkl_rt", "mkl_core", "blis")):
                names.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(names)


def blas_kind(paths):
    joined = " ".join(paths)
    if "openblas" in joined:
        return "openblas"
    if "mkl" in joined:
        return "mkl"
    if "blis" in joined:
        return "blis"
    if "/blas/" in joined or "libblas.so" in joined:
        return "reference"  # netlib's unoptimized Fortran BLAS
    return "unknown"


def runtime_report(threads):
    """Interpreter, BLAS libraries and thread counts, for the benchmark's JSON."""
    info = {"python": sys.executable, "python_version": sys.version.split()[0], "threads_requested": threads}
    paths = loaded_blas()
    info["blas_libraries"] = paths
    info["blas"] = blas_kind(paths)
    try:
        import threadpoolctl
        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")}
            for p in threadpoolctl.threadpool_info()
        ]
    except Exception:  # threadpoolctl is optional
        pass
    return info


def serve(new_trainer, runtime):
    """Answers the protocol above; new_trainer(H, B) returns an object with epoch() and accuracy()."""
    trainer = None
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "model":
            trainer = new_trainer(req["hidden"], req["batch"])
            reply = {"ok": True}
        elif op == "epoch":
            t0 = time.perf_counter()
            trainer.epoch()
            reply = {"seconds": time.perf_counter() - t0}
        elif op == "accuracy":
            reply = {"accuracy": trainer.accuracy()}
        elif op == "runtime":
            reply = runtime()
        else:
            reply = {"error": "unknown op " + op}
        print(json.dumps(reply), flush=True)
