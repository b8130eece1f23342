"""KDE evaluation against sklearn's GridSearchCV(KernelDensity).

The paper's evaluation: a Gaussian KDE on 10,000 generated samples, bandwidth
chosen among logspace(-3, 1.5, 10) by 5-fold cross-validation on those samples,
then the mean log-likelihood of 10,000 test points. Both sides do exactly that
on the same arrays; the script checks they choose the same bandwidth and agree
on the log-likelihood to 1e-3, and prints the ratio of their wall times last.

    python benchmarks/kde.py [--n 10000] [--device auto]
"""

import argparse
import dataclasses
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

import _common
from couae.grid.kde import bandwidth_grid, kde_test_log_likelihood
from couae.runtime.devices import resolve_device
from helpers import paper_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rng = np.random.default_rng(0)
    # "generated" samples: a slightly blurred grid, like a trained model's output
    generated = dataclasses.replace(paper_grid(), std=0.08).sample(args.n, rng)
    test = paper_grid().sample(args.n, rng)
    bws = bandwidth_grid(-3, 1.5, 10)

    start = time.perf_counter()
    ours = kde_test_log_likelihood(generated, test, bws, selection="cv", folds=5, device=device)
    _common.synchronise(device)
    t_ours = time.perf_counter() - start

    start = time.perf_counter()
    search = GridSearchCV(KernelDensity(kernel="gaussian"), {"bandwidth": bws}, cv=5).fit(generated)
    sk_ll = search.best_estimator_.score_samples(test).mean()
    t_sk = time.perf_counter() - start

    same = np.isclose(ours.bandwidth, search.best_params_["bandwidth"])
    diff = abs(ours.test_log_likelihood - sk_ll)
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, {args.n} generated x {args.n} test "
        f"x {len(bws)} bandwidths, 5-fold CV"
    )
    print(
        f"ours:    bandwidth {ours.bandwidth:.4g}, test log-likelihood {ours.test_log_likelihood:.6f}, {t_ours:.2f} s"
    )
    print(f"sklearn: bandwidth {search.best_params_['bandwidth']:.4g}, test log-likelihood {sk_ll:.6f}, {t_sk:.2f} s")
    print(f"same bandwidth: {bool(same)}; |difference| {diff:.2e} (must be < 1e-3)")
    if not same or diff >= 1e-3:
        raise SystemExit("KDE disagrees with sklearn")
    print(f"KDE evaluation speed-up over sklearn: {t_sk / t_ours:.2f}x")


if __name__ == "__main__":
    main()
