"""CelebA 64x64 (rules/celeba.smk): `files` (partition, archive, folder,
checks), `preprocessing` (JPEGs to arrays: the centre crop and resize; the
stand-in), `arrays` (the stored uint8 arrays and pixel ranges), `networks`
(WAE's DCGAN encoder and decoder), `model` (build, train, generate,
reconstruct), `fid` (features, statistics, the Fréchet distance), `evaluation`
(FID and xi per model), `figures` (Figures 3 and 4)."""
