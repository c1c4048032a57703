// Elements built with textContent only: stored text never becomes markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", {}, label), input, hint && h("small", {}, hint));
}

export function input(name, attrs = {}) {
  return h("input", { name, id: `f-${name}`, ...attrs });
}

export function select(name, options, value) {
  return h("select", { name, id: `f-${name}` },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form).entries()) values[name] = String(value).trim();
  return values;
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

// A bar of used / window with a mark at the summarization threshold.
export function gauge(tokens, window, threshold) {
  if (!window) return h("span", { class: "muted" }, `${tokens} tokens (no window known)`);
  const used = Math.min(100, (100 * tokens) / window);
  const mark = threshold ? Math.min(100, (100 * threshold) / window) : null;
  const over = threshold && tokens > threshold;
  return h("span", { class: "gauge-wrap" },
    h("span", {
      class: `gauge${over ? " over" : ""}`, role: "meter", "aria-valuemin": 0,
      "aria-valuemax": window, "aria-valuenow": tokens,
      "aria-label": `${tokens} of ${window} tokens; summarized past ${threshold}`,
    },
    h("span", { class: "fill", style: null, dataset: { pct: used.toFixed(1) } }),
    mark !== null && h("span", { class: "mark", dataset: { pct: mark.toFixed(1) } })),
    h("small", {}, `${tokens} / ${window} tokens (${used.toFixed(1)} %)`
      + (threshold ? `, summarized past ${threshold}` : "")));
}

// Inline styles are refused by the CSP: widths are set through the CSSOM instead.
export function sizeGauges(root) {
  for (const el of root.querySelectorAll(".gauge .fill, .bar .fill")) el.style.width = `${el.dataset.pct}%`;
  for (const el of root.querySelectorAll(".gauge .mark")) el.style.left = `${el.dataset.pct}%`;
}

export function render(main, ...children) {
  main.replaceChildren(...children.flat().filter(Boolean));
  sizeGauges(main);
}

export function tagList(values) {
  if (!values || !values.length) return h("span", { class: "muted" }, "—");
  return h("span", { class: "tags" }, values.map((v) => h("span", { class: "tag" }, v)));
}
