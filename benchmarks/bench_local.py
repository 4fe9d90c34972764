"""Where the bundled model's seconds go, against llama.cpp's own ways, in one run.

Five figures, each with its baseline measured here:
- decoding under a grammar: the objects answer of the bank case (its real first prompt and
  schema), written by `LocalBackend.complete` (the grammar tests the greedy choice first)
  against llama-cpp-python's own grammar sampler on the same prompt, same context, best of
  `--repeat`; both answers must be the same text, so only the time differs;
- a generation in a fresh process: `instancegen generate` on the bank case with the evaluated
  prompt a previous process saved (`local_state`) against the same command with that turned
  off (`INSTANCEGEN_LOCAL_STATE=off`), best of `--repeat` each, taken in turns;
- the threads: the same command as shipped (each call takes the cores nothing else uses,
  `local_threads`) against one thread, taken in the same turns;
- phase 2's prompt after phase 1's answer: the seconds llama.cpp spends evaluating the bank
  case's links request when the prompt keeps the tokens the model wrote (`local_tokens`)
  against the same prompt cut by the model's own tokenizer, best of `--repeat`, in turns;
- lists that close rather than repeat (`local_loops`): the objects answer of a suite case
  whose lists the model writes round in circles, with the loops closed (as shipped) against
  the same call with that processor left out, seconds and tokens, best of `--repeat`, in
  turns.

    python benchmarks/bench_local.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import Figure, add_json_option, write

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "metamodels" / "bank"


def decoding(repeat: int) -> tuple[float, float, int]:
    """(ours s, llama.cpp's grammar sampler s, tokens) for the bank case's objects answer:
    wall-clock less the prompt's evaluation, which the first call did for both."""
    from llama_cpp import llama_perf_context, llama_perf_context_reset, llama_set_n_threads

    from instancegen.service.backends import local_threads
    from instancegen.service.backends.local import LocalBackend, LocalPlugin, _contexts, _grammar
    from instancegen.service.core.ecore_loader import load_metamodel
    from instancegen.service.generation.two_phase.spec_facts import read_facts
    from instancegen.service.generation.two_phase.strategy import TwoPhase

    mm = load_metamodel([CASE / "bank.ecore"])
    spec = (CASE / "spec.txt").read_text(encoding="utf-8")
    backend = LocalBackend("local")
    caps = LocalPlugin().capabilities("local", None)
    plan = TwoPhase(mm, caps, read_facts(mm, spec), spec)
    messages, schema = plan.first_messages(), plan.first_objects_schema()
    llm = _contexts(backend._path, backend._n_ctx).pick(messages).llm

    def theirs() -> tuple[float, str, int]:
        threads = local_threads.for_call()  # as `complete` chooses them: only decoding differs
        llama_set_n_threads(llm.ctx, threads, threads)
        llama_perf_context_reset(llm.ctx)
        started = time.perf_counter()
        out = llm.create_chat_completion(
            messages=messages, grammar=_grammar(schema), temperature=0.0, max_tokens=3072, seed=0
        )
        seconds = time.perf_counter() - started - llama_perf_context(llm.ctx).t_p_eval_ms / 1000
        text = out["choices"][0]["message"]["content"]
        return seconds, text, out["usage"]["completion_tokens"]

    def ours() -> tuple[float, str, int]:
        started = time.perf_counter()
        reply = backend.complete(messages, schema=schema, max_tokens=3072)
        seconds = time.perf_counter() - started - (reply.prompt_seconds or 0.0)
        return seconds, reply.text, reply.completion_tokens

    theirs()  # the prompt evaluated once, so both decode from the same cached prompt
    best_ours, best_theirs, tokens = float("inf"), float("inf"), 0
    for _ in range(repeat):
        t_seconds, t_text, tokens = theirs()
        o_seconds, o_text, _ = ours()
        if o_text != t_text:
            raise SystemExit("the grammar check wrote another answer than llama.cpp's sampler")
        best_ours, best_theirs = min(best_ours, o_seconds), min(best_theirs, t_seconds)
    return best_ours, best_theirs, tokens


def links_prompt(repeat: int) -> tuple[float, float, int, int]:
    """(kept s, re-tokenized s, kept tokens evaluated, re-tokenized tokens evaluated) for
    the bank case's links request, right after its objects answer."""
    from llama_cpp.llama_tokenizer import LlamaTokenizer

    from instancegen.service.backends.local import LocalBackend, LocalPlugin, _contexts
    from instancegen.service.backends.local_tokens import KeptPrefixTokenizer
    from instancegen.service.core.ecore_loader import load_metamodel
    from instancegen.service.generation.two_phase.links_schema import plan_links
    from instancegen.service.generation.two_phase.objects_schema import declared_objects
    from instancegen.service.generation.two_phase.prompts import links_messages
    from instancegen.service.generation.two_phase.spec_facts import read_facts
    from instancegen.service.generation.two_phase.strategy import TwoPhase

    mm = load_metamodel([CASE / "bank.ecore"])
    spec = (CASE / "spec.txt").read_text(encoding="utf-8")
    backend = LocalBackend("local")
    facts = read_facts(mm, spec)
    plan = TwoPhase(mm, LocalPlugin().capabilities("local", None), facts, spec)
    messages, schema = plan.first_messages(), plan.first_objects_schema()
    llm = _contexts(backend._path, backend._n_ctx).pick(messages).llm
    tokenizers = {"kept": KeptPrefixTokenizer(llm), "re-tokenized": LlamaTokenizer(llm)}
    best = {name: (float("inf"), 0) for name in tokenizers}
    for _ in range(repeat):
        for name, tokenizer in tokenizers.items():
            llm.tokenizer_ = tokenizer
            objects = backend.complete(messages, schema=schema, max_tokens=3072).text
            declared = declared_objects(mm, schema.model_validate_json(objects).to_cim(), [])
            links = plan_links(mm, declared, facts)
            model = links.model()
            assert model is not None, "the bank case's objects have links to ask for"
            reply = backend.complete(links_messages(mm, spec, links), schema=model, max_tokens=1024)
            evaluated = reply.prompt_tokens - (reply.reused_tokens or 0)
            best[name] = min(best[name], (reply.prompt_seconds or 0.0, evaluated))
    llm.tokenizer_ = tokenizers["kept"]
    (kept, kept_tokens), (plain, plain_tokens) = best["kept"], best["re-tokenized"]
    return kept, plain, kept_tokens, plain_tokens


LOOPING = ROOT / "metamodels" / "suite" / "library-lending"


def closing_lists(repeat: int) -> tuple[float, float, int, int]:
    """(closed s, looping s, closed tokens, looping tokens): decoding the LOOPING case's
    objects answer as shipped and without `local_loops`' processor, prompt evaluation left
    out."""
    from instancegen.service.backends import local_loops
    from instancegen.service.backends.local import LocalBackend, LocalPlugin
    from instancegen.service.core.ecore_loader import load_metamodel
    from instancegen.service.generation.two_phase.spec_facts import read_facts
    from instancegen.service.generation.two_phase.strategy import TwoPhase

    mm = load_metamodel(sorted(LOOPING.glob("*.ecore")))
    spec = (LOOPING / "spec.txt").read_text(encoding="utf-8")
    backend = LocalBackend("local")
    plan = TwoPhase(mm, LocalPlugin().capabilities("local", None), read_facts(mm, spec), spec)
    messages, schema = plan.first_messages(), plan.first_objects_schema()
    shipped = local_loops.closing_repeats

    def answer(closing: bool) -> tuple[float, int]:
        local_loops.closing_repeats = shipped if closing else lambda llm: lambda ids, s: s
        try:
            started = time.perf_counter()
            reply = backend.complete(messages, schema=schema, max_tokens=3072)
        finally:
            local_loops.closing_repeats = shipped
        seconds = time.perf_counter() - started - (reply.prompt_seconds or 0.0)
        return seconds, reply.completion_tokens

    best = {True: (float("inf"), 0), False: (float("inf"), 0)}
    for _ in range(repeat):
        for closing in best:
            best[closing] = min(best[closing], answer(closing))
    (closed, closed_tokens), (looping, looping_tokens) = best[True], best[False]
    return closed, looping, closed_tokens, looping_tokens


# `generate` in a fresh process, run with each of these settings in turns: as shipped, without
# the saved prompt state, and with llama.cpp held to one thread.
SETTINGS = {
    "shipped": {},
    "no state": {"INSTANCEGEN_LOCAL_STATE": "off"},
    "one thread": {"INSTANCEGEN_LOCAL_THREADS": "1"},
}


def fresh_process(repeat: int) -> dict[str, float]:
    """Wall-clock of `instancegen generate` on the bank case in a new process under each of
    SETTINGS, best of `repeat`, the settings taken in turns."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "instancegen", "generate", "-m", str(CASE / "bank.ecore"),
            "--spec-file", str(CASE / "spec.txt"), "--model", "local", "-q",
            "-o", str(Path(tmp) / "bank.xmi"),
        ]  # fmt: skip

        def run(setting: dict[str, str]) -> float:
            env = {**os.environ, "INSTANCEGEN_CACHE_DIR": tmp, **setting}
            for name in ("INSTANCEGEN_LOCAL_STATE", "INSTANCEGEN_LOCAL_THREADS"):
                if name not in setting:
                    env.pop(name, None)  # the shipped default, whatever the caller's shell says
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        run(SETTINGS["shipped"])  # saves the state the timed runs with it load
        best = {name: float("inf") for name in SETTINGS}
        for _ in range(repeat):
            for name, setting in SETTINGS.items():
                best[name] = min(best[name], run(setting))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    add_json_option(parser)
    args = parser.parse_args()

    ours, theirs, tokens = decoding(args.repeat)
    print(
        f"decoding {tokens} tokens under the grammar: ours {ours:.2f} s "
        f"({ours / tokens * 1000:.1f} ms/token), llama.cpp's grammar sampler {theirs:.2f} s "
        f"({theirs / tokens * 1000:.1f} ms/token), ratio {ours / theirs:.2f}x"
    )
    kept, plain, kept_tokens, plain_tokens = links_prompt(args.repeat)
    print(
        f"links prompt after the objects answer: keeping the written tokens {kept:.2f} s "
        f"({kept_tokens} tokens evaluated), re-tokenized {plain:.2f} s ({plain_tokens} tokens "
        f"evaluated), ratio {kept / plain:.2f}x"
    )
    closed, looping, closed_tokens, looping_tokens = closing_lists(args.repeat)
    print(
        f"objects answer of {LOOPING.name}: lists closed {closed:.1f} s ({closed_tokens} "
        f"tokens), loops left alone {looping:.1f} s ({looping_tokens} tokens), ratio "
        f"{closed / looping:.2f}x"
    )
    fresh = fresh_process(args.repeat)
    shipped, without, one = fresh["shipped"], fresh["no state"], fresh["one thread"]
    print(
        f"generate, bank case, fresh process: as shipped {shipped:.1f} s, without the saved "
        f"prompt state {without:.1f} s (ratio {shipped / without:.2f}x), with one thread "
        f"{one:.1f} s (ratio {shipped / one:.2f}x)"
    )
    figures = [
        Figure("local", f"bundled model, decoding the bank case's objects ({tokens} tokens)",
               ours, theirs, "llama.cpp's own grammar sampler, same answer", "s"),
        Figure("local", f"bundled model, evaluating the bank case's links prompt ({kept_tokens} "
               "tokens)", kept, plain, f"{plain_tokens} tokens, the answer re-tokenized", "s"),
        Figure("local", f"bundled model, decoding {LOOPING.name}'s objects ({closed_tokens} "
               "tokens), lists closed rather than repeated", closed, looping,
               f"{looping_tokens} tokens, the loops left alone", "s"),
        Figure("local", "bundled model, `generate` on the bank case, fresh process", shipped,
               without, "the same without the saved prompt state", "s"),
        Figure("local", "bundled model, `generate` on the bank case, threads chosen per call",
               shipped, one, "the same with one thread (`INSTANCEGEN_LOCAL_THREADS=1`)", "s"),
    ]  # fmt: skip
    write(args.json, figures)


if __name__ == "__main__":
    main()
