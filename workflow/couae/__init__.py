"""Library behind the Coulomb Autoencoders reproduction; its subpackages
mirror the workflow's rule files and the paper:

Its packages form layers (tests/test_structure.py checks that no package
imports one above it):

- `parameters`, `registry`, `caveats`: leaves (declared parameters checked
  with jsonschema, the component registries, the caveats' words).
- `runtime`: the machine (atomic writes, file loading, devices, GPU slots,
  downloads, memory and time estimates).
- `core`: what every experiment shares: the MMD estimator (eq. 2), the
  objectives (with xi, Theorem 2's largest reconstruction error), seeded
  random streams and the training loop with its checkpoints.
- `kernels`, `models`: the registered kernels and model types.
- `settings`, `datasets`, `config`: the config resolved into each job's
  declared settings, the data set protocol and registry, the whole config
  checked (imported by the Snakefile: light).
- `report`: the paper's values, the result tables, every title, note and
  caption, the claims, provenance and the plotting style (rules/report.smk).
- `theory`: Figure 1's landscape, Theorem 1's particle flows, Theorem 2's
  table, and their figures (rules/theory.smk).
- `grid`, `celeba`: the data sets, each with its adapter (rules/grid.smk,
  rules/celeba.smk): the 2-D Gaussian mixtures (data, MLPs, the KDE
  log-likelihood, Figure 2; and the base of any data set of points in the
  plane, rules/points.smk) and CelebA 64x64 (files and downloads, the
  preprocessing, DCGAN networks, FID, Figures 3-4). A data set added as one
  module (`couae/<name>/adapter.py`) sits above them.
- `jobs`: what every job script does around its work.

The workflow's scripts (workflow/scripts/<rule>.py) are thin command-line
wrappers around this package.
"""
