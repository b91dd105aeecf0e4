"""Proofs and grades over a finished model, found on demand.

`derivations` lists the rule instances behind a tuple; `search` solves grades
and least-height proofs over them; `missing` explains an atom that does not
hold; `tree` is the `ProofNode` every renderer draws.
"""
