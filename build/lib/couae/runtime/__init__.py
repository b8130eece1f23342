"""Running jobs: `atomic` (no half-written file), `devices` (the configured
device), `gpu_slots` (a GPU of its own per job), `downloads` (resumed and
verified transfers), `jobs` (the start of every job script, and the training
jobs' shared sequence)."""
