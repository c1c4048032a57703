// Operations: health, counts, latencies (from /metrics), summary views and their tasks.
import { api, query } from "./api.js";
import { errorBox, field, formValues, h, input, render, when } from "./dom.js";

const TASKS = "ams.tasks"; // ids of the tasks started from this tab

// Histograms of the Prometheus text format: {labels -> {buckets: [[le, n]], sum, count}}.
export function histograms(text, name) {
  const found = new Map();
  const line = new RegExp(`^${name}_(bucket|sum|count)\\{([^}]*)\\} ([0-9.eE+-]+|NaN)$`);
  for (const raw of text.split("\n")) {
    const m = raw.match(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const le = labels.le;
    delete labels.le;
    const key = JSON.stringify(labels);
    if (!found.has(key)) found.set(key, { labels, buckets: [], sum: 0, count: 0 });
    const entry = found.get(key);
    if (m[1] === "bucket") entry.buckets.push([le === "+Inf" ? Infinity : Number(le), Number(m[3])]);
    else entry[m[1]] = Number(m[3]);
  }
  return [...found.values()].filter((e) => e.count > 0);
}

function quantile(entry, q) {
  const target = q * entry.count;
  for (const [le, n] of entry.buckets) if (n >= target) return le;
  return Infinity;
}

const ms = (s) => (s === Infinity ? "> 30 s" : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);

function latencyTable(entries, keys, id) {
  if (!entries.length) return h("p", { class: "muted", id }, "Nothing measured yet.");
  entries.sort((a, b) => b.count - a.count);
  return h("div", { class: "scroll" }, h("table", { class: "grid", id },
    h("thead", {}, h("tr", {}, [...keys, "Count", "Mean", "p50 ≤", "p95 ≤"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      keys.map((k) => h("td", {}, e.labels[k])),
      h("td", { class: "num" }, e.count), h("td", { class: "num" }, ms(e.sum / e.count)),
      h("td", { class: "num" }, ms(quantile(e, 0.5))), h("td", { class: "num" }, ms(quantile(e, 0.95))))))));
}

function countTable(rows, label, id) {
  return h("table", { class: "grid", id }, h("thead", {}, h("tr", {}, h("th", {}, label), h("th", {}, "Memories"))),
    h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.value), h("td", { class: "num" }, r.count)))));
}

function rememberTask(id) {
  const ids = JSON.parse(sessionStorage.getItem(TASKS) || "[]");
  sessionStorage.setItem(TASKS, JSON.stringify([id, ...ids.filter((x) => x !== id)].slice(0, 20)));
}

async function tasksSection() {
  const ids = JSON.parse(sessionStorage.getItem(TASKS) || "[]");
  const tasks = await Promise.all(ids.map((id) => api("GET", `/v1/tasks/${encodeURIComponent(id)}`).catch((e) => ({ id, status: `unknown (${e.status})` }))));
  const lookup = h("form", { class: "row", id: "task-form" }, field("Task id", input("task_id")), h("button", { type: "submit" }, "Look up"));
  lookup.addEventListener("submit", (e) => { e.preventDefault(); rememberTask(formValues(lookup).task_id); location.reload(); });
  return h("section", {}, h("h2", {}, "Tasks"),
    tasks.length ? h("table", { class: "grid", id: "tasks" }, h("thead", {}, h("tr", {}, ["Task", "Type", "Status", "Created", "Done", "Partitions", "Error"].map((t) => h("th", {}, t)))),
      h("tbody", {}, tasks.map((t) => h("tr", {}, h("td", {}, t.id), h("td", {}, t.type ?? "—"), h("td", {}, h("span", { class: `state state-${t.status}` }, t.status)),
        h("td", {}, when(t.created_at)), h("td", {}, when(t.completed_at)),
        h("td", { class: "num" }, t.partitions_total == null ? "—" : `${t.partitions_computed ?? 0}/${t.partitions_total}`),
        h("td", {}, t.error_message ?? "")))))
      : h("p", { class: "muted", id: "tasks" }, "No task started from this tab yet."),
    lookup);
}

async function viewsSection() {
  let views;
  try { views = await api("GET", "/v1/summary-views"); } catch (error) {
    return h("section", { id: "views" }, h("h2", {}, "Summary views"), errorBox(error));
  }
  const create = h("form", { class: "row", id: "view-form" },
    field("Name", input("name", { required: true })),
    field("Group by (comma: user_id, namespace, session_id, memory_type)", input("group_by", { value: "user_id" })),
    field("Prompt (optional)", input("prompt")),
    h("button", { type: "submit" }, "Create view"));
  create.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(create);
    try {
      await api("POST", "/v1/summary-views", { name: v.name, group_by: v.group_by.split(",").map((x) => x.trim()).filter(Boolean), prompt: v.prompt || null });
      location.reload();
    } catch (error) { create.append(errorBox(error)); }
  });
  const details = h("div", { id: "view-details", "aria-live": "polite" });
  const show = async (view) => {
    const parts = await api("GET", `/v1/summary-views/${encodeURIComponent(view.id)}/partitions`);
    details.replaceChildren(h("h3", {}, `${view.name ?? view.id}: ${parts.length} partitions`),
      h("ul", {}, parts.map((p) => h("li", { class: "card" }, h("div", { class: "meta" }, `${JSON.stringify(p.group)} · ${p.memory_count}/${p.total_memories} memories · ${when(p.computed_at)}`), h("div", {}, p.summary || "(empty)")))));
  };
  return h("section", { id: "views" }, h("h2", {}, "Summary views"),
    views.length ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["View", "Group by", "Continuous", "Created", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, views.map((view) => h("tr", {}, h("td", {}, view.name ?? view.id), h("td", {}, view.group_by.join(", ") || "—"),
        h("td", {}, view.continuous ? "yes" : "no"), h("td", {}, when(view.created_at)),
        h("td", {}, h("button", { type: "button", onclick: async () => {
          const task = await api("POST", `/v1/summary-views/${encodeURIComponent(view.id)}/run`, { force: false });
          rememberTask(task.id);
          location.reload();
        } }, "Run"), " ", h("button", { type: "button", class: "secondary", onclick: () => show(view).catch((e) => details.replaceChildren(errorBox(e))) }, "Results"))))))
      : h("p", { class: "muted" }, "No summary views."),
    create, details);
}

export async function opsPage(main) {
  const [ready, spaces, sessions, metrics] = await Promise.all([
    fetch("/v1/health/ready", { cache: "no-store" }).then((r) => r.json()),
    api("POST", "/v1/long-term-memory/facets", { fields: ["namespace", "memory_type"], limit: 100 }),
    api("GET", `/v1/sessions${query({ limit: 100 })}`),
    fetch("/metrics", { cache: "no-store" }).then((r) => r.text()),
  ]);
  const states = {};
  for (const s of sessions.sessions) {
    const state = s.extraction_status?.state ?? "none";
    states[state] = (states[state] || 0) + 1;
  }
  render(main,
    h("h1", {}, "Operations"),
    h("section", { id: "health" }, h("h2", {}, "Health"),
      h("p", {}, h("span", { class: `state state-${ready.status === "ready" ? "done" : "failed"}` }, ready.status)),
      h("dl", { class: "facts" }, Object.entries(ready.checks).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
    h("section", {}, h("h2", {}, "Counts"),
      h("p", {}, `${spaces.total} long-term memories, ${sessions.total} sessions.`),
      h("div", { class: "split2" },
        countTable(spaces.facets.namespace, "Namespace", "namespace-counts"),
        countTable(spaces.facets.memory_type, "Type", "type-counts"),
        h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "Extraction (latest 100 sessions)"), h("th", {}, "Sessions"))),
          h("tbody", {}, Object.entries(states).map(([k, n]) => h("tr", {}, h("td", {}, k), h("td", { class: "num" }, n))))))),
    h("section", {}, h("h2", {}, "Request latency (this process, since start)"),
      latencyTable(histograms(metrics, "agent_memory_http_request_duration_seconds"), ["method", "route", "status_class"], "request-latency")),
    h("section", {}, h("h2", {}, "Background task latency"),
      latencyTable(histograms(metrics, "agent_memory_task_duration_seconds"), ["task", "outcome"], "task-latency")),
    await tasksSection(),
    await viewsSection());
}
