"""Generation: spec → valid CIM, through one engine. One module per job:

- `engine`: ask → validate → repair (attempts, events, usage), for generating and editing
- `caller`: every call, within the model's limits, counted, parsed or retried
- `budget`: token arithmetic over the limits the model's backend declares
- `generating`: one generation on the engine (samples voted, invariants searched)
- `options`: how one generation asks, as data (strategy, mode, repairs, samples, a set's note)
- `strategy`: which way of asking suits the model and metamodel, and what it sends
- `one_shot` + `encoding`: the CIM in one answer (typed, strict, generic), in parts when large
- `two_phase/`: objects, then links, from the spec's facts read once
- `direct`: the paper's baseline, XMI written by the LLM
- `editing`: a change request answered with CIM edits
- `schema`: the answer schemas' shared pieces (and the public DESIGN.md CIM schema)
- `prompting`: templates, worked examples, findings, how a prompt is cut to fit
- `slicing` + `naming`: the metamodel cut to what the spec names, however spelt
- `parts`: cut-off answers salvaged, parts and repairs merged
- `consensus`: k sampled answers voted into one (`samples`)

Nothing is imported here: `import instancegen` reads only the rendering and schema helpers.
"""
