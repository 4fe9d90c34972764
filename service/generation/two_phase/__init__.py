"""The two-phase strategy: objects, then links, each under a schema a grammar can hold a small
model to.

- `spec_values`, `spec_words` → `spec_facts`: the spec read once into an immutable value
  (`SpecFacts`: its values, counts, names and links)
- `objects_schema`: phase 1's schemas, built from the facts; `declared_objects` between phases
- `links_schema`: phase 2's link plan and schema for the declared objects
- `prompts`: both phases' messages
- `strategy`: `TwoPhase`, asking both phases on the engine, options given as data
"""
