// The instancegen playground: plain browser JavaScript over the /v1 API, no dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
const FORMATS = ["xmi", "json", "svg"];
const state = { files: null, source: "", cim: null, config: null, urls: [] };

function setStatus(text) {
  $("status").textContent = text;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.detail || data.title || `HTTP ${response.status}`);
  }
  return data;
}

function chosenModel() {
  const choice = state.config.models[Number($("model").value) || 0];
  const body = { model: choice.model };
  if (choice.api_base) body.api_base = choice.api_base;
  return body;
}

// --- setup ------------------------------------------------------------------------------------

async function init() {
  state.config = await api("/playground-api/config");
  $("api-key-row").hidden = !state.config.auth;
  state.config.models.forEach((m, i) => $("model").add(new Option(m.model, String(i))));
  state.config.examples.forEach((name) => $("example").add(new Option(name, name)));
  $("example").addEventListener("change", pickExample);
  $("metamodel-file").addEventListener("change", pickFiles);
  $("generate-form").addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  $("edit-form").addEventListener("submit", (e) => { e.preventDefault(); edit(); });
}

async function pickExample() {
  const name = $("example").value;
  if (!name) return;
  try {
    const example = await api("/playground-api/examples/" + name);
    state.files = example.files;
    state.source = `example ${name} (${Object.keys(example.files).join(", ")})`;
    $("spec").value = example.spec;
    $("metamodel-file").value = "";
    $("metamodel-source").textContent = "Metamodel: " + state.source;
  } catch (err) {
    setStatus("Could not load the example: " + err.message);
  }
}

async function pickFiles() {
  const chosen = Array.from($("metamodel-file").files);
  if (!chosen.length) return;
  const files = {};
  for (const file of chosen) files[file.name] = await file.text();
  state.files = files;
  state.source = "uploaded " + chosen.map((f) => f.name).join(", ");
  $("example").value = "";
  $("metamodel-source").textContent = "Metamodel: " + state.source;
}

// --- generate ---------------------------------------------------------------------------------

async function generate() {
  if (!state.files) { setStatus("Choose an example or upload .ecore files first."); return; }
  const spec = $("spec").value.trim();
  if (!spec) { setStatus("Write a specification first."); $("spec").focus(); return; }
  $("generate").disabled = true;
  try {
    setStatus("Queued…");
    const job = await api("/v1/jobs", {
      metamodel: { files: state.files }, spec, format: FORMATS, ...chosenModel(),
    });
    await follow(job.id);
    const done = await api("/v1/jobs/" + job.id);
    if (done.status !== "finished") {
      setStatus("Generation failed: " + ((done.error && done.error.detail) || done.status));
      return;
    }
    show(done.result);
    setStatus(`Done: the model is ${done.result.status}, ${done.result.cim ? done.result.cim.objects.length : 0} objects after ${done.result.attempts.length} attempt(s).`);
  } catch (err) {
    setStatus("Generation failed: " + err.message);
  } finally {
    $("generate").disabled = false;
  }
}

// Server-sent events read through fetch (EventSource cannot send the API key header).
async function follow(jobId) {
  const response = await fetch(`/v1/jobs/${jobId}/events`, { headers: headers() });
  if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (data) progress(JSON.parse(data));
    }
  }
}

function progress(event) {
  const d = event.data || {};
  const tokens = `${d.prompt_tokens || 0} in / ${d.completion_tokens || 0} out tokens`;
  if (event.type === "attempt_started") {
    setStatus(`Attempt ${event.attempt} of ${d.of}: ${d.kind === "repair" ? "repairing" : "generating"} (${tokens})…`);
  } else if (event.type === "phase_started") {
    setStatus(`Attempt ${event.attempt}: asking for the ${d.phase} (${tokens})…`);
  } else if (event.type === "tokens") {
    setStatus(`Attempt ${event.attempt}: ${d.phase}, ${d.answer_tokens} tokens written (${tokens})…`);
  } else if (event.type === "issues_found") {
    const warnings = d.issue_count - d.error_count;
    setStatus(`Attempt ${event.attempt}: ${d.error_count} finding(s) to repair, ${warnings} warning(s) (${tokens}).`);
  } else if (event.type === "finished") {
    setStatus(`Finished: ${d.status}.`);
  }
}

// --- showing a result -------------------------------------------------------------------------

function show(result) {
  state.cim = result.cim;
  showDiagram(result.artifacts.svg);
  showIssues(result.issues);
  offer("download-xmi", result.artifacts.xmi, "application/xmi+xml");
  offer("download-json", result.artifacts.json, "application/json");
  $("edit").disabled = !state.cim;
}

function showDiagram(svgText) {
  const box = $("diagram");
  box.replaceChildren();
  if (!svgText) { box.textContent = "No diagram (the model could not be drawn)."; return; }
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg") { box.textContent = "No diagram."; return; }
  svg.querySelectorAll("script, foreignObject").forEach((el) => el.remove());
  svg.querySelectorAll("*").forEach((el) => {
    for (const attr of Array.from(el.attributes)) {
      if (attr.name.toLowerCase().startsWith("on")) el.removeAttribute(attr.name);
    }
  });
  svg.setAttribute("role", "img");
  box.appendChild(document.importNode(svg, true));
}

function showIssues(issues) {
  const list = $("issues");
  list.replaceChildren();
  if (!issues.length) { list.appendChild(item("None: the model is valid.")); return; }
  for (const i of issues) {
    const where = [i.object, i.feature].filter(Boolean).join(".");
    const li = item(`${i.severity} [${i.code}] ${where ? where + ": " : ""}${i.message}${i.hint ? " → " + i.hint : ""}`);
    li.className = i.severity;
    list.appendChild(li);
  }
}

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

function offer(id, text, type) {
  const link = $(id);
  if (!text) { link.removeAttribute("href"); link.setAttribute("aria-disabled", "true"); return; }
  const url = URL.createObjectURL(new Blob([text], { type }));
  state.urls.push(url);
  link.href = url;
  link.setAttribute("aria-disabled", "false");
}

// --- edit -------------------------------------------------------------------------------------

async function edit() {
  const request = $("edit-request").value.trim();
  if (!state.cim) { setStatus("Generate a model first."); return; }
  if (!request) { setStatus("Write a change request first."); $("edit-request").focus(); return; }
  $("edit").disabled = true;
  setStatus("Applying the change…");
  try {
    const result = await api("/v1/edit", {
      metamodel: { files: state.files }, instance: state.cim, request, format: FORMATS, ...chosenModel(),
    });
    show(result);
    $("diff").textContent = diffLines(result.diff).join("\n") || "No change.";
    setStatus(`Change applied: the model is ${result.status}.`);
  } catch (err) {
    setStatus("The change failed: " + err.message);
  } finally {
    $("edit").disabled = !state.cim;
  }
}

function diffLines(diff) {
  const show = (v) => (v === null || v === undefined ? "(unset)" : JSON.stringify(v));
  const lines = [];
  diff.added.forEach((o) => lines.push(`+ ${o.id} (${o.class})`));
  diff.removed.forEach((o) => lines.push(`- ${o.id} (${o.class})`));
  for (const c of diff.changed) {
    lines.push(`~ ${c.id} (${c.class})`);
    c.attributes.forEach((a) => lines.push(`    ${a.feature}: ${show(a.old)} -> ${show(a.new)}`));
    c.links.forEach((l) => lines.push(`    ${l.feature}: ${[...l.added.map((t) => "+" + t), ...l.removed.map((t) => "-" + t), ...(l.reordered ? ["reordered"] : [])].join(" ")}`));
  }
  return lines;
}

init().catch((err) => setStatus("The playground could not start: " + err.message));
