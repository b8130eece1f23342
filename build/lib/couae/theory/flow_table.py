"""The particle-flow comparison table: per setup and row, the metrics at the
start and the end of the flow (`particle_flows.run_flow` records)."""

from __future__ import annotations

import pandas as pd

LEADING = ["setup", "row"]


def read_records(paths: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Every job's records, tagged with its (setup, row), in the given order."""
    frames = [pd.read_csv(path).assign(setup=setup, row=row) for (setup, row), path in paths.items()]
    records = pd.concat(frames, ignore_index=True)
    return records[LEADING + [c for c in records.columns if c not in LEADING]]


def flows_table(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (setup, row): W2 at the start, and every metric at the last
    step (KALE solver columns only where the row is a KALE flow), with the
    flow's wall time."""
    out = []
    for (setup, row), g in records.groupby(LEADING, sort=False):
        first, last = g.iloc[0], g.iloc[-1]
        entry = {"setup": setup, "row": row, "steps": int(last["step"]), "w2_start": first["w2"]}
        entry.update({k: last[k] for k in g.columns if k not in (*LEADING, "step", "seconds")})
        entry["seconds"] = last["seconds"]
        out.append(entry)
    return pd.DataFrame(out)
