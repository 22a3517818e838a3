"""What the CPU anchors share: the dataset file the benchmark writes, thread pinning, and a report
of the interpreter and the BLAS library actually loaded (not the one the build was configured with).

Dataset files (written by bench/cpu-anchors.ts): PREFIX.json {"n", "d", "train"}, PREFIX.x.f32
(n x d float32, row-major), PREFIX.y.f32 (n float32 labels). Rows [0, train) are for training, the
rest are held out for accuracy.
"""
import argparse, json, os, sys, time


def shape_args(description):
    """The arguments of the shape anchors (mlp_numpy.py, mlp_torch_cpu.py), threads pinned at once."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--data", required=True, help="dataset prefix written by bench/cpu-anchors.ts")
    ap.add_argument("--shapes", default="64x100", help="HIDDENxBATCH,...")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-3)
    a = ap.parse_args()
    pin_threads(a.threads)
    return a


def best_epoch_speed(epochs, samples, run_epoch):
    """Samples/s of the fastest of `epochs` calls of run_epoch() (each one training epoch)."""
    best = 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        run_epoch()
        best = max(best, samples / (time.perf_counter() - t0))
    return best


def shape_figure(H, B, epochs, speed, accuracy):
    return {"hidden": H, "batch": B, "epochs": epochs, "samples_per_s": round(speed), "accuracy": round(accuracy, 4)}


def pin_threads(threads):
    """Sets the BLAS / OpenMP thread counts; call before importing numpy or torch."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(threads)


def load_dataset(prefix):
    import numpy as np
    meta = json.load(open(prefix + ".json"))
    n, d = meta["n"], meta["d"]
    x = np.fromfile(prefix + ".x.f32", dtype=np.float32).reshape(n, d)
    y = np.fromfile(prefix + ".y.f32", dtype=np.float32).astype(np.int64)
    return x, y, meta


def loaded_blas():
    """The BLAS shared libraries mapped into this process (after a product has run)."""
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


def parse_shapes(text):
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",") if s]
