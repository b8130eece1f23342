"""The 2-D grid of Gaussians (rules/grid.smk): `data` (the mixture and its
splits), `networks` (seed-stacked MLPs), `model` (build, train, generate,
save), `kde` (the test log-likelihood), `evaluation` (per seed, and Table 1's
reference rows), `figures` (Figure 2)."""
