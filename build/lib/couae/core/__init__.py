"""What every experiment shares: `kernels` (IMQ, Gaussian, Coulomb, Plummer),
`mmd` (the unbiased estimator of eq. 2 and the empirical one), `objectives`
(MMD autoencoder, VAE, the reconstruction error and xi), `seeding` (named
random streams) and `training` (update steps, the loop, checkpoints)."""
