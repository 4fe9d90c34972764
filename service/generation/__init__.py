"""Generation: spec → valid CIM, through one engine. One module per job:

- `loop`: one generation: ask → validate → repair, samples voted, invariants searched
- `options`: how one generation asks, as data (strategy, mode, repairs, samples, a set's note)
- `budget`: token arithmetic over the limits the model's backend declares
- `strategy`: which way of asking suits the model and metamodel, and what it sends
- `one_shot`: the CIM in one answer (typed, strict, generic), in parts when large
- `two_phase`: objects, then links (constrained decoding for small models); its spec facts
- `encoding`: the one-shot answer forms and their way back to the CIM
- `parts`: cut-off answers salvaged, parts and repairs merged
- `slicing`: the metamodel cut to what the spec needs
- `caller`: calls, token accounting, retries
- `consensus`: k sampled answers voted into one (`samples`)
- `editing`: a change request answered with CIM edits

Nothing is imported here: the modules import the LLM clients' helpers lazily, and
`import instancegen` reads only the rendering and schema helpers.
"""
