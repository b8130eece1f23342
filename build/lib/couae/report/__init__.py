"""What the outputs say (rules/report.smk): `paper` (the paper's numbers),
`text` (every table title, note and report caption), `caveats` (their one
vocabulary), `tables` (Tables 1-2 and the Theorem 1-2 tables as files),
`provenance` (what made a result), `benchmarks` (the jobs' resource summary),
`style` (the plotting set-up). Imports nothing heavy at package level:
`text`, `caveats` and `paper` serve the Snakefile."""
