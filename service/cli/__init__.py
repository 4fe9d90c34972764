"""The `instancegen` command line: a thin layer over the Python API in `service`.

Each command lives in its own module; importing it registers it on `app`.
"""

from instancegen.service.cli import (
    batch_command,  # noqa: F401  (registers batch)
    compile_commands,  # noqa: F401  (registers compile/import)
    edit_command,  # noqa: F401  (registers edit)
    eval_commands,  # noqa: F401  (registers score/eval)
    generate_commands,  # noqa: F401  (registers generate/prompt)
    metamodel_commands,  # noqa: F401  (registers inspect/schema/prompt/validate)
    models_command,  # noqa: F401  (registers models)
    serve_command,  # noqa: F401
    validate_command,  # noqa: F401
    worker_command,  # noqa: F401  (registers worker)
)
from instancegen.service.cli.app import app, main, reflow_help

reflow_help(app)  # once every command is registered

__all__ = ["app", "main"]
