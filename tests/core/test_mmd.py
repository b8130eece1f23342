import itertools

import pytest
import torch

from couae.core.mmd import mmd2_empirical, mmd2_unbiased, mmd2_unbiased_blocked, pairwise_sq_dist
from helpers import paper_kernel

KERNELS = [("imq", {}), ("gaussian", {}), ("coulomb", {"eps": 0.1}), ("plummer", {"eps": 1.0})]


def brute_force_mmd2(kernel, x, y):
    """Eq. (2) written as explicit double loops over sample pairs."""

    def k(a, b):
        return kernel(((a - b) ** 2).sum()).item()

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.product(range(n), repeat=2) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.product(range(m), repeat=2) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


@pytest.mark.parametrize("name,params", KERNELS)
@pytest.mark.parametrize("dim", [2, 3])
def test_matches_brute_force_double_loop(name, params, dim):
    gen = torch.Generator().manual_seed(dim)
    x = torch.randn(7, dim, generator=gen, dtype=torch.float64)
    y = torch.randn(9, dim, generator=gen, dtype=torch.float64) + 0.5
    kernel = paper_kernel(name, dim, **params)
    assert mmd2_unbiased(kernel, x, y).item() == pytest.approx(brute_force_mmd2(kernel, x, y), rel=1e-10)


def test_batched_over_seeds_equals_each_seed_alone():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 10, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(4, 10, 2, generator=gen, dtype=torch.float64)
    kernel = paper_kernel("coulomb", 2)
    batched = mmd2_unbiased(kernel, x, y)
    assert batched.shape == (4,)
    for s in range(4):
        assert batched[s].item() == pytest.approx(mmd2_unbiased(kernel, x[s], y[s]).item(), rel=1e-12)


@pytest.mark.parametrize("name,params", KERNELS)
def test_near_zero_for_one_distribution_and_positive_otherwise(name, params):
    gen = torch.Generator().manual_seed(1)
    kernel = paper_kernel(name, 2, **params)
    a, b = (torch.randn(2000, 2, generator=gen, dtype=torch.float64) for _ in range(2))
    shifted = torch.randn(2000, 2, generator=gen, dtype=torch.float64) * 0.5 + 1.0
    same = mmd2_unbiased(kernel, a, b).item()
    different = mmd2_unbiased(kernel, a, shifted).item()
    assert different > 0
    assert abs(same) < 0.02 * different


def test_unbiased_estimator_can_be_negative_but_averages_to_zero():
    # Unbiasedness: over many independent draws of one distribution the mean is ~0.
    gen = torch.Generator().manual_seed(2)
    kernel = paper_kernel("imq", 2)
    x = torch.randn(400, 20, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(400, 20, 2, generator=gen, dtype=torch.float64)
    values = mmd2_unbiased(kernel, x, y)
    assert (values < 0).any()
    assert abs(values.mean().item()) < 3 * values.std().item() / 20


def test_gradient_finite_with_duplicate_points():
    x = torch.zeros(5, 2, requires_grad=True)  # a collapsed encoder
    y = torch.randn(5, 2)
    mmd2_unbiased(paper_kernel("coulomb", 2), x, y).backward()
    assert torch.isfinite(x.grad).all()


def test_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        mmd2_unbiased(paper_kernel("imq", 2), torch.zeros(1, 2), torch.zeros(3, 2))


@pytest.mark.parametrize("name,params", KERNELS + [("coulomb", {"eps": 0.3, "beta": 1.0})])
@pytest.mark.parametrize("dim", [1, 2, 3, 12])
def test_analytic_gradient_passes_gradcheck(name, params, dim):
    gen = torch.Generator().manual_seed(10 + dim)
    x = torch.randn(2, 5, dim, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(2, 6, dim, generator=gen, dtype=torch.float64, requires_grad=True)
    kernel = paper_kernel(name, dim, **params)
    assert torch.autograd.gradcheck(lambda a, b: mmd2_unbiased(kernel, a, b), (x, y))


def test_gradient_equals_autograd_through_brute_force():
    gen = torch.Generator().manual_seed(3)
    kernel = paper_kernel("coulomb", 2, eps=0.01)
    x = torch.randn(6, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(7, 2, generator=gen, dtype=torch.float64)
    (ours,) = torch.autograd.grad(mmd2_unbiased(kernel, x, y), x)
    n, m = 6, 7
    ref_value = sum(kernel(((x[i] - x[j]) ** 2).sum()) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    ref_value = ref_value - 2 * sum(kernel(((x[i] - y[j]) ** 2).sum()) for i in range(n) for j in range(m)) / (n * m)
    (ref,) = torch.autograd.grad(ref_value, x)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)


def test_pairwise_sq_dist():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 4.0]])
    assert pairwise_sq_dist(a, b).tolist() == [[25.0], [13.0]]


@pytest.mark.parametrize("dim", [1, 2, 8, 9, 64])
def test_pairwise_sq_dist_is_exact_on_both_paths(dim):
    gen = torch.Generator().manual_seed(dim)
    a = torch.randn(3, 6, dim, generator=gen, dtype=torch.float64)
    b = torch.randn(3, 5, dim, generator=gen, dtype=torch.float64)
    ref = ((a[:, :, None, :] - b[:, None, :, :]) ** 2).sum(-1)
    torch.testing.assert_close(pairwise_sq_dist(a, b), ref, rtol=1e-12, atol=1e-12)
    assert (pairwise_sq_dist(a, a).diagonal(dim1=-2, dim2=-1) < 1e-12).all()


def test_gradient_flows_to_prior_samples_when_they_require_it():
    x = torch.randn(6, 2)
    y = torch.randn(6, 2, requires_grad=True)
    mmd2_unbiased(paper_kernel("imq", 2), x, y).backward()
    assert y.grad.abs().sum() > 0


def brute_force_empirical_mmd2(kernel, x, y):
    def k(a, b):
        return kernel(((a - b) ** 2).sum()).item()

    n, m = len(x), len(y)
    return (
        sum(k(a, b) for a in x for b in x) / n**2
        + sum(k(a, b) for a in y for b in y) / m**2
        - 2 * sum(k(a, b) for a in x for b in y) / (n * m)
    )


@pytest.mark.parametrize("name,params", KERNELS)
def test_empirical_mmd2_matches_double_loop_and_gradcheck(name, params):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    kernel = paper_kernel(name, 3, **params)
    assert mmd2_empirical(kernel, x, y).item() == pytest.approx(brute_force_empirical_mmd2(kernel, x, y), rel=1e-10)
    assert torch.autograd.gradcheck(lambda a, b: mmd2_empirical(kernel, a, b), (x, y))


@pytest.mark.parametrize("name,params", KERNELS)
def test_empirical_mmd2_vanishes_with_zero_gradient_on_the_samples(name, params):
    y = torch.randn(6, 2, dtype=torch.float64)
    x = y[torch.randperm(6)].clone().requires_grad_(True)
    value = mmd2_empirical(paper_kernel(name, 2, **params), x, y)
    (grad,) = torch.autograd.grad(value, x)
    assert abs(value.item()) < 1e-12 and grad.abs().max() < 1e-12


@pytest.mark.parametrize("name,params", KERNELS)
@pytest.mark.parametrize("block", [1, 4, 64])
def test_blocked_estimator_equals_the_batched_one(name, params, block):
    """Row blocks of every size, including ones that split the diagonal, give eq. (2)."""
    gen = torch.Generator().manual_seed(block)
    x = torch.randn(23, 5, generator=gen, dtype=torch.float64)
    y = torch.randn(17, 5, generator=gen, dtype=torch.float64) + 0.3
    kernel = paper_kernel(name, 5, **params)
    expected = mmd2_unbiased(kernel, x, y).item()
    assert mmd2_unbiased_blocked(kernel, x, y, block=block) == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_the_mmd_step_keeps_the_pair_matrices_its_model_type_counts():
    """couae.runtime.memory counts ModelType.pair_matrices batch x batch matrices per seed
    as a lower bound: the MMD's backward keeps at least that many."""
    from couae import models
    from couae.core.mmd import mmd2_unbiased

    seeds, n = 3, 40
    x = torch.randn(seeds, n, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(seeds, n, 2, dtype=torch.float64)
    out = mmd2_unbiased(paper_kernel("imq", 2), x, y)
    kept = sum(t.numel() for t in out.grad_fn.saved_tensors if t is not None and t.shape[-2:] == (n, n))
    assert kept >= models.model_type("mmd").pair_matrices * seeds * n * n
