"""instancegen's code, importable as `instancegen.service` (the public API is `instancegen`).

- `core`: metamodels, CIMs, values, issues, validation, edits, OCL (no LLM or web stack)
- `resources`: models in files, in every format, over the compilers
- `generation`: the engine, strategies, schemas and prompts; `backends`: the LLMs
- `app`: jobs, sets and batches, under every entry point; `eval`: scoring and suite runs
- `cli`, `http`, `broker`: the entry points
"""
