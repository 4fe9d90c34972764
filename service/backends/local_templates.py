"""Chat templates: the name of the one a GGUF file carries, and the one used when it has none.

A GGUF file normally carries its chat template (Jinja) in `tokenizer.chat_template`, and
llama-cpp-python formats prompts with it. Some conversions leave it out; llama-cpp-python
then falls back to a Llama-2 format the model was never trained on, and its own Gemma format
drops the system message. So a file without one gets its architecture family's template
(the one its publisher ships), ChatML for any other family, and `instancegen models` says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    name: str
    text: str


# Gemma's own template: no system role, so the system text opens the first user turn.
GEMMA = Template(
    "gemma",
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% set first_user_prefix = messages[0]['content'] + '\n\n' %}"
    "{% set loop_messages = messages[1:] %}"
    "{% else %}{% set first_user_prefix = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}",
)
CHATML = Template(
    "chatml",
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
)
# The marker each family's template writes, for naming a template a file carries.
_MARKERS = (
    ("<|im_start|>", "chatml"),
    ("<start_of_turn>", "gemma"),
    ("<|start_header_id|>", "llama-3"),
    ("[INST]", "mistral/llama-2"),
    ("<|user|>", "phi/zephyr"),
)


def fallback_template(architecture: str) -> Template:
    """The template for a file of `architecture` that carries none."""
    return GEMMA if architecture.startswith("gemma") else CHATML


def template_name(carried: str | None, architecture: str) -> str:
    """How `instancegen models` names a file's template: the family of the one it carries,
    or the fallback it gets."""
    if carried is None:
        return f"{fallback_template(architecture).name} (built in: the file has none)"
    return next((name for marker, name in _MARKERS if marker in carried), "its own")
