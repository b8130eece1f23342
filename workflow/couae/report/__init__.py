"""What the outputs say (rules/report.smk): `paper` (the paper's numbers),
`text` (every table title, note and report caption; a data set's own figures'
captions come from its adapter, through `text.caption`), `tables` (Tables 1-2
and the Theorem 1-2 tables as files), `claims` (the paper's claims tested),
`provenance` (what made a result), `benchmarks` (the jobs' resource summary),
`style` (the plotting set-up). The caveats' words are `couae.caveats`, below
every package that marks a value. Imports nothing heavy at package level:
`text` and `paper` serve the Snakefile."""
