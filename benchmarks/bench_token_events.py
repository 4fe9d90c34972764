"""What following the bundled model's tokens costs: one first call (the bank case's objects
phase) with and without `counting` (a pass-through logits processor telling each token),
alternated so both see the same machine load; greedy decoding makes the answers identical.

    python benchmarks/bench_token_events.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib.resources import files
from pathlib import Path

from instancegen.service import backends
from instancegen.service.backends.local import LocalBackend
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation.strategy import plan_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bank = Path(str(files("instancegen.metamodels"))) / "bank"
    mm = load_metamodel([bank / "bank.ecore"])
    messages, schema = plan_for(mm, (bank / "spec.txt").read_text(), "local").first_request()
    backend = LocalBackend()
    limit = backends.capabilities("local", None).output_tokens
    told: list[int] = []
    backend.complete(messages, schema=schema, max_tokens=limit)  # load the model once
    plain, counted = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        reply = backend.complete(messages, schema=schema, max_tokens=limit)
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        with backend.counting(told.append):
            again = backend.complete(messages, schema=schema, max_tokens=limit)
        counted.append(time.perf_counter() - started)
        assert again.text == reply.text
    base, with_events = statistics.median(plain), statistics.median(counted)
    print(f"answer: {reply.completion_tokens} tokens; told {len(told) // args.rounds} per call")
    print(f"median seconds: plain {base:.2f}, counting {with_events:.2f}")
    print(f"ratio counting/plain: {with_events / base:.3f}")


if __name__ == "__main__":
    main()
