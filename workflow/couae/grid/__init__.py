"""The grid data set: 2-D Gaussian mixtures (rules/grid.smk). `adapter` (what
the shared rules know of it), `settings` (its jobs' settings and the variants'
shapes), `data` (the mixtures and their splits), `model` (build, train,
generate, save), `packs` (many runs through one step), `kde` (the test
log-likelihood), `evaluation` (per seed, the mode-collapse numbers, and Table
1's reference rows), `figures` (Figure 2, convergence), `tuning` (the
extension rows' candidates)."""
