"""Reports for auditors (docs/INTERFACE.md "Reports for auditors"): cycles, compliance figures, CSV and HTML.

`cycles` folds the action stream into one row per ticket x clock cycle; `summary` tallies them;
`audit` runs the engine over a log keeping only what a report needs; `csvout`, `html` and `charts`
render; `expect` compares the contract's verdict with an outcome the export recorded; `provenance`
states the hashes and version that make a report reproducible.
"""
