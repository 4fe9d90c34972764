"""OCL invariants: read (`sources`), parsed (`grammar`, `parser`, `nodes`), evaluated over a
CIM (`world`, `values`, `evaluator`) and reported as validation issues (`check`)."""
