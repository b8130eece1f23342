"""The paper's theory made visible (rules/theory.smk): `landscape` (eq. 1's
energy, Figure 1), `flows` (Theorem 1's particle flows), `theorem2` (xi
against the test metric per width), `figures` (Figure 1 and the Theorem 1 and
2 figures)."""
