"""The grid data set: 2-D Gaussian mixtures (rules/grid.smk), and the
machinery of every data set of points in the plane. `adapter` (what the
shared rules know of it), `settings` (its jobs' settings and the variants'
shapes), `data` (the mixtures, a point source, the splits), `model` (build,
train, generate, save), `packs` (many runs through one step), `kde` (the test
log-likelihood), `evaluation` (per seed, the mode-collapse numbers, and Table
1's reference rows), `figures` (Figure 2, convergence), `tuning` (the
extension rows' candidates), `points` (the base of a points data set's
adapter: rules/points.smk runs the grid's scripts on its data)."""
