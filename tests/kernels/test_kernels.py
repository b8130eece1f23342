import math

import numpy as np
import pytest
import torch

from couae import kernels
from couae.kernels import make_kernel
from couae.kernels.coulomb import Coulomb
from couae.kernels.gaussian import Gaussian
from couae.kernels.imq import IMQ
from couae.kernels.plummer import Plummer
from helpers import load_config, paper_kernel

SQ = torch.tensor([0.0, 1.0, 4.0, 9.0], dtype=torch.float64)


def test_imq_single_scale_closed_form():
    # h = 2 -> C = 2 * 2 * 1 = 4; k = 4 / (4 + d^2)
    k = IMQ(latent_dim=2, scales=(1.0,))
    assert torch.allclose(k(SQ), torch.tensor([1.0, 0.8, 0.5, 4 / 13], dtype=torch.float64))


def test_imq_sums_over_scales():
    # h = 1 -> C = 2; scales 0.5 and 2 -> C_s = 1 and 4; at d^2 = 1: 1/2 + 4/5
    k = IMQ(latent_dim=1, scales=(0.5, 2.0))
    assert k(torch.tensor(1.0)).item() == pytest.approx(0.5 + 0.8)


def test_gaussian_closed_form():
    k = Gaussian(latent_dim=2, scales=(1.0, 0.25))  # C_s = 4 and 1
    expected = [math.exp(-d / 4) + math.exp(-d) for d in SQ.tolist()]
    assert torch.allclose(k(SQ), torch.tensor(expected, dtype=torch.float64))


def test_coulomb_is_logarithmic_in_two_dimensions():
    k = Coulomb(latent_dim=2, eps=0.01, beta=None)
    assert k(torch.tensor(9.0, dtype=torch.float64)).item() == pytest.approx(-math.log(3.01))
    assert k(torch.tensor(0.0, dtype=torch.float64)).item() == pytest.approx(-math.log(0.01))


def test_coulomb_power_law_in_higher_dimensions():
    # h = 3: 1/(d + eps); h = 4: 1/(d^2 + eps); explicit beta overrides h - 2
    assert Coulomb(latent_dim=3, eps=0.5, beta=None)(torch.tensor(4.0)).item() == pytest.approx(1 / 2.5)
    assert Coulomb(latent_dim=4, eps=0.5, beta=None)(torch.tensor(4.0)).item() == pytest.approx(1 / 4.5)
    assert Coulomb(latent_dim=64, eps=1.0, beta=2.0)(torch.tensor(3.0)).item() == pytest.approx(1 / 4.0)
    assert Coulomb(latent_dim=64, eps=1.0, beta=None).exponent == 62.0


def test_coulomb_one_dimensional_is_minus_half_distance():
    assert Coulomb(latent_dim=1, eps=0.01, beta=None)(torch.tensor(16.0)).item() == pytest.approx(-2.0)


def test_plummer_closed_form():
    assert Plummer(latent_dim=2, eps=3.0, exponent=1.0)(torch.tensor(16.0)).item() == pytest.approx(0.2)
    assert Plummer(latent_dim=2, eps=1.0, exponent=2.0)(torch.tensor(3.0)).item() == pytest.approx(0.25)


@pytest.mark.parametrize("name", ["imq", "gaussian", "coulomb", "plummer"])
def test_gradient_finite_at_coincident_points(name):
    kernel = paper_kernel(name, 2)
    a = torch.zeros(3, 2, requires_grad=True)
    d2 = (a.unsqueeze(1) - a.unsqueeze(0)).pow(2).sum(-1)
    kernel(d2).sum().backward()
    assert torch.isfinite(a.grad).all()


def test_make_kernel_rejects_unknown_name():
    from couae import kernels
    from helpers import unknown_name

    unknown = unknown_name(kernels.names())
    with pytest.raises(ValueError, match=f"unknown kernel '{unknown}'; known: {', '.join(kernels.names())}"):
        make_kernel(unknown, 2)


def test_make_kernel_passes_params():
    k = make_kernel("imq", 3, scales=[1, 2])
    assert k.scales == (1.0, 2.0) and k.latent_dim == 3


@pytest.mark.parametrize(
    "name, params, named",
    [
        ("imq", {}, "scales"),
        ("coulomb", {"eps": 0.1}, "beta"),
        ("plummer", {"eps": 1.0}, "exponent"),
        ("gaussian", {"scales": [1.0], "eps": 0.1}, "eps"),
    ],
)
def test_make_kernel_wants_exactly_its_parameters(name, params, named):
    """The library restates no config value: a missing or foreign parameter is an error naming it."""
    with pytest.raises(ValueError, match=f"kernel '{name}' takes the parameters .*got") as err:
        make_kernel(name, 2, **params)
    assert named in str(err.value)


SLOPE_KERNELS = [
    ("imq", 2, {}),
    ("gaussian", 3, {}),
    ("coulomb", 2, {"eps": 0.05}),
    ("coulomb", 3, {"eps": 0.5}),
    ("coulomb", 64, {"eps": 1.0, "beta": 2.0}),
    ("coulomb", 1, {}),
    ("coulomb", 5, {"eps": 0.1, "beta": 1.0}),
    ("plummer", 2, {"eps": 3.0}),
    ("plummer", 2, {"eps": 1.0, "exponent": 2.0}),
]


@pytest.mark.parametrize("name,dim,params", SLOPE_KERNELS)
def test_slope_is_the_derivative_of_the_value(name, dim, params):
    kernel = paper_kernel(name, dim, **params)
    sq = torch.tensor([1e-3, 0.1, 0.7, 2.0, 9.0, 40.0], dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(kernel(sq).sum(), sq)
    value, slope = kernel.value_and_slope(sq.detach())
    torch.testing.assert_close(value, kernel(sq.detach()))
    torch.testing.assert_close(slope, auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,dim,params", SLOPE_KERNELS)
def test_slope_finite_at_coincident_points(name, dim, params):
    value, slope = paper_kernel(name, dim, **params).value_and_slope(torch.zeros(3, dtype=torch.float64))
    assert torch.isfinite(value).all() and torch.isfinite(slope).all()


def registered_examples():
    """Every registered kernel with the paper config's grid parameters, or its own defaults."""
    grid = load_config()["grid"]["kernels"]
    for name, cls in kernels.REGISTRY.items().items():
        params = grid.get(name) or {k: p.default for k, p in cls.parameters().items()}
        yield name, params


@pytest.mark.parametrize("name, params", list(registered_examples()))
def test_every_registered_kernel_describes_itself_and_has_a_true_slope(name, params):
    """What the pipeline asks of a kernel, for each one the registry holds."""
    cls = kernels.kernel_class(name)
    assert cls.name == name and cls.summary
    configured = make_kernel(name, 2, **params)
    kernel = configured
    if cls.data_dependent:  # set from a batch: the kernel of one batch of codes and prior draws
        gen = torch.Generator().manual_seed(0)
        kernel = configured.bind(torch.randn(6, 2, generator=gen), torch.randn(6, 2, generator=gen))
    sq = torch.tensor([1e-3, 0.1, 0.7, 2.0, 9.0], dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(kernel(sq).sum(), sq)
    slope = kernel.value_and_slope(sq.detach())[1]
    torch.testing.assert_close(slope.reshape(auto.shape), auto, rtol=1e-10, atol=1e-12)
    bound, why = configured.theorem2_bound()
    assert (bound is None) == bool(why)  # a bound, or the reason there is none
    if bound is not None:  # Theorem 2's K = k(z, z) bounds the kernel from above, and it is non-negative
        assert kernel(torch.zeros((), dtype=torch.float64)).item() == pytest.approx(bound)
        assert (kernel(sq.detach()) <= bound + 1e-12).all() and (kernel(sq.detach()) >= 0).all()
    assert cls.theorem1_role(params) in (kernels.REACHES, kernels.CAN_STALL, None)


def test_kernel_parameters_are_checked_naming_the_key():
    with pytest.raises(ValueError) as err:
        kernels.check_params("coulomb", {"eps": 0.0, "beta": None}, "grid.kernels.coulomb")
    assert "grid.kernels.coulomb.eps" in str(err.value)
    with pytest.raises(ValueError, match=r"grid\.experiments\.x\.kernel_params: Additional properties"):
        kernels.resolve_params("imq", {"scales": [1.0]}, {"eps": 1.0}, key="grid.experiments.x.kernel_params")
    assert kernels.resolve_params("imq", {"scales": [1.0]}, {}, key="k") == {"scales": [1.0]}


def smallest_gram_eigenvalue(kernel, points: torch.Tensor) -> float:
    sq = (points[:, None, :] - points[None, :, :]).square().sum(-1)
    gram = kernel(sq)
    return float(torch.linalg.eigvalsh(gram)[0] / torch.linalg.eigvalsh(gram)[-1])


def dense_sets(dim: int, count: int = 5):
    gen = torch.Generator().manual_seed(dim)
    return [0.3 * torch.randn(60, dim, generator=gen, dtype=torch.float64) for _ in range(count)]


@pytest.mark.parametrize("beta", [1, 2, 3, 4, 5, 6])
def test_the_distance_smoothed_coulomb_kernel_is_positive_definite(beta):
    """(d^2 + r0^2)^(-beta/2) is a generalised inverse multiquadric: every Gram
    matrix of distinct points is positive definite, in every dimension."""
    kernel = make_kernel("coulomb", beta + 2, eps=0.5, beta=None, smoothing="distance")
    assert min(smallest_gram_eigenvalue(kernel, pts) for pts in dense_sets(beta + 2)) > -1e-12


@pytest.mark.parametrize("beta", [3, 4, 6])
def test_the_additive_smoothing_is_not_positive_definite_above_beta_2(beta):
    """1 / (d^beta + eps): negative eigenvalues on dense point sets (why the distance form exists)."""
    kernel = make_kernel("coulomb", beta + 2, eps=0.5, beta=None)
    assert min(smallest_gram_eigenvalue(kernel, pts) for pts in dense_sets(beta + 2)) < -1e-6
    assert "not positive definite" in kernel.remark()


def test_the_distance_smoothing_and_eq_3s_constant_in_closed_form():
    sq = torch.tensor([0.0, 1.0, 4.0], dtype=torch.float64)
    log = make_kernel("coulomb", 2, eps=0.1, beta=None, smoothing="distance")
    torch.testing.assert_close(log(sq), -0.5 * torch.log(sq + 0.01))
    power = make_kernel("coulomb", 5, eps=0.1, beta=None, smoothing="distance")
    torch.testing.assert_close(power(sq), (sq + 0.01) ** -1.5)
    assert power.theorem2_bound() == (pytest.approx(0.1**-3), "")
    # eq. (3): 1/(2 pi) in 2-D, 1/((h - 2) S_h) above, S_3 = 4 pi
    normal2 = make_kernel("coulomb", 2, eps=0.1, beta=None, normalised=True)
    torch.testing.assert_close(normal2(sq), make_kernel("coulomb", 2, eps=0.1, beta=None)(sq) / (2 * math.pi))
    normal3 = make_kernel("coulomb", 3, eps=0.1, beta=None, normalised=True)
    torch.testing.assert_close(normal3(sq), 1 / (4 * math.pi * (sq.sqrt() + 0.1)))
    assert normal3.theorem2_bound()[0] == pytest.approx(1 / (4 * math.pi * 0.1))


def test_the_celeba_coulomb_kernel_says_it_is_one_imq_scale():
    kernel = make_kernel("coulomb", 64, eps=1.0, beta=2.0)
    imq = make_kernel("imq", 64, scales=[1.0 / 128])  # C = 1/128 x 2 x 64 = 1 = eps
    sq = torch.tensor([0.0, 0.5, 3.0], dtype=torch.float64)
    torch.testing.assert_close(kernel(sq), imq(sq) / 1.0)
    assert "single-scale IMQ" in kernel.remark() and "lambda / eps" in kernel.remark()


def test_waes_median_rbf_equals_a_hand_computation():
    """WAE's code: sigma_k^2 = the (n^2 - n)/2-th largest squared code-prior
    distance + the same of the code-code distances; k = exp(-d^2 / (2 sigma_k^2))."""
    from couae.core.mmd import mmd2_unbiased

    gen = np.random.default_rng(3)
    x, y = gen.normal(size=(5, 2)), gen.normal(size=(5, 2)) + 0.4
    n, half = 5, (25 - 5) // 2
    cross = ((x[:, None] - y[None]) ** 2).sum(-1)
    within_x = ((x[:, None] - x[None]) ** 2).sum(-1)
    within_y = ((y[:, None] - y[None]) ** 2).sum(-1)
    sigma2 = np.sort(cross.ravel())[::-1][half - 1] + np.sort(within_x.ravel())[::-1][half - 1]
    k = lambda d2: np.exp(-d2 / (2 * sigma2))  # noqa: E731
    off = ~np.eye(n, dtype=bool)
    expected = k(within_x)[off].mean() + k(within_y)[off].mean() - 2 * k(cross).mean()
    kernel = make_kernel("waerbf", 2)
    got = mmd2_unbiased(kernel, torch.tensor(x)[None], torch.tensor(y)[None])
    assert float(got) == pytest.approx(expected, rel=1e-12)
    assert kernel.theorem2_bound()[0] is None and kernel.data_dependent
    with pytest.raises(ValueError, match="set from each batch"):
        kernel.value_and_slope(torch.zeros(3))


def test_a_batch_set_kernels_mmd_has_one_value_per_leading_index_even_for_one():
    """The biased MMD's k(0) term of a kernel bound per batch has the batch's leading shape; with one
    run it must not broadcast the value to (1, 1, 1) (Theorem 1's second-order check perturbs one run)."""
    from couae.core.mmd import mmd2_empirical

    kernel = make_kernel("waerbf", 2)
    gen = torch.Generator().manual_seed(0)
    x, y = (
        torch.randn(3, 5, 2, generator=gen, dtype=torch.float64),
        torch.randn(3, 5, 2, generator=gen, dtype=torch.float64),
    )
    three = mmd2_empirical(kernel, x, y)
    assert three.shape == (3,)
    for i in range(3):
        one = mmd2_empirical(kernel, x[i : i + 1], y[i : i + 1])
        assert one.shape == (1,) and float(one) == pytest.approx(float(three[i]), rel=1e-12)
    assert mmd2_empirical(kernel, x[0], y[0]).shape == ()


def test_a_kernel_that_forgot_its_dataclass_decorator_is_named(monkeypatch):
    """Its parameter() fields would be plain class attributes; asked for, it says what is missing."""
    from couae import kernels
    from helpers import unknown_name

    name = unknown_name(kernels.names())
    monkeypatch.setattr(kernels.REGISTRY, "_items", dict(kernels.REGISTRY._items))  # the test's kernel leaves no trace

    class Forgetful(kernels.Kernel):
        summary = "a kernel without its decorator"
        scale: float = kernels.parameter({"type": "number"}, "a scale")

        def value_and_slope(self, sq_dist):
            return sq_dist, sq_dist

    Forgetful.name = name
    kernels.REGISTRY.add(Forgetful)
    with pytest.raises(TypeError, match=rf"kernel '{name}': its class .*Forgetful is not decorated with @dataclass"):
        kernels.kernel_class(name)
