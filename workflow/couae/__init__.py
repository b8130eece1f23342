"""Library behind the Coulomb Autoencoders reproduction: kernels, the MMD
estimator, models, objectives, the training loop and the evaluation metrics.

The workflow's scripts are thin command-line wrappers around this package.
"""
