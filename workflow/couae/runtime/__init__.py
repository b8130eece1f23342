"""The machine a job runs on: `atomic` (no half-written file), `loading`
(result files read back, damage named), `devices` (the configured device),
`gpu_slots` (a GPU of its own per job), `downloads` (resumed and verified
transfers), `arguments` (long job arguments through a file), `memory` (a
training step's lower bound), `estimate` (what a run will cost). Below the
library's other layers: it imports none of them (the scripts' job sequence,
which does, is `couae.jobs`)."""
