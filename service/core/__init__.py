"""The core: metamodels, CIMs, values, issues, validation, edits and OCL.

It imports nothing from generation, backends, the application or its entry points, so a
script can load, validate and edit models without the LLM or web stack."""
