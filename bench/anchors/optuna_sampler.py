"""
Optuna's samplers for `npm run bench:sampler`, driven by Node over a line protocol, so that both
sides optimize the very same objective functions (bench/objectives.ts and --objective modules).

    /usr/bin/python3 bench/anchors/optuna_sampler.py      (Debian's python3-optuna 3.1, python3-cmaes)

One JSON object per line on stdin, one answer per line on stdout:
    {"start": {"sampler": "tpe"|"tpe-independent"|"cmaes", "seed": 1, "space": [...]}}  -> {"ok": true}
    {"ask": true}         -> {"params": {...}}   (categorical values as choice indices)
    {"tell": 0.123}       -> {"ok": true}
Every study minimizes. Samplers: TPESampler(seed, multivariate=True) (the semantics nnsearch's tpe
follows), TPESampler(seed) (Optuna's default, independent), CmaEsSampler(seed) (categorical
parameters fall back to its independent random sampling, as Optuna does).
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import optuna  # noqa: E402
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distribution(d):
    if d["kind"] == "categorical":
        return CategoricalDistribution(list(range(len(d["choices"]))))
    if d["kind"] == "float":
        return FloatDistribution(d["low"], d["high"], log=d["log"], step=d["step"])
    return IntDistribution(d["low"], d["high"], log=d["log"], step=d["step"])


def make_sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "tpe-independent":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise ValueError(f"unknown sampler {name}")


def main():
    study = None
    dists = None
    trial = None
    for line in sys.stdin:
        msg = json.loads(line)
        if "start" in msg:
            s = msg["start"]
            dists = {p["name"]: distribution(p["dist"]) for p in s["space"]}
            study = optuna.create_study(direction="minimize", sampler=make_sampler(s["sampler"], s["seed"]))
            out = {"ok": True, "optuna": optuna.__version__}
        elif "ask" in msg:
            trial = study.ask(fixed_distributions=dists)
            out = {"params": trial.params}
        elif "tell" in msg:
            study.tell(trial, msg["tell"])
            out = {"ok": True}
        else:
            out = {"error": f"unknown message {line.strip()}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
