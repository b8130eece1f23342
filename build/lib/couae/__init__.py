"""Library behind the Coulomb Autoencoders reproduction; its subpackages
mirror the workflow's rule files and the paper:

- `settings`: the config resolved into each job's declared settings (imported
  by the Snakefile: light).
- `core`: what every experiment shares: kernels, the MMD estimator (eq. 2),
  the objectives (with xi, Theorem 2's largest reconstruction error), seeded
  random streams and the training loop with its checkpoints.
- `grid`: the 2-D grid of Gaussians (rules/grid.smk): data, MLPs, models, the
  KDE log-likelihood, evaluation, Figure 2.
- `celeba`: CelebA 64x64 (rules/celeba.smk): files and downloads, the image
  arrays and their preprocessing (the centre crop), DCGAN networks, models,
  FID, evaluation, Figures 3-4.
- `theory`: Figure 1's landscape, Theorem 1's particle flows, Theorem 2's
  table, and their figures (rules/theory.smk).
- `report`: the paper's values, the result tables, every title, note, caveat
  and caption, provenance and the plotting style (rules/report.smk).
- `runtime`: atomic writes, devices, GPU slots, downloads and the start of
  every job script.

The workflow's scripts (workflow/scripts/<rule>.py) are thin command-line
wrappers around this package.
"""
