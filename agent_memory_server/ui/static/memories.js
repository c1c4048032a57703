// Long-term memory: search in each mode with every filter, facets, a timeline; one record.
import { api, query } from "./api.js";
import {
  errorBox, field, formValues, h, input, render, select, tagList, when,
} from "./dom.js";

const TYPES = [["", "any"], ["semantic", "semantic"], ["episodic", "episodic"], ["message", "message"]];
const MODES = [["semantic", "semantic"], ["keyword", "keyword"], ["hybrid", "hybrid"]];
const list = (text) => (text || "").split(",").map((v) => v.trim()).filter(Boolean);

// The search's filters from the form's values (the API's own shape: tag and numeric filters).
export function filtersOf(v) {
  const f = {};
  for (const name of ["namespace", "user_id", "session_id", "memory_type"]) {
    if (v[name]) f[name] = { eq: v[name] };
  }
  if (list(v.topics).length) f.topics = { any: list(v.topics) };
  if (list(v.entities).length) f.entities = { any: list(v.entities) };
  const range = {};
  if (v.from) range.gte = new Date(`${v.from}T00:00:00Z`).getTime() / 1000;
  if (v.to) range.lte = new Date(`${v.to}T23:59:59Z`).getTime() / 1000;
  if (Object.keys(range).length) f.created_at = range;
  return f;
}

function searchForm(p) {
  const value = (name) => p.get(name) || "";
  return h("form", { class: "search", role: "search", id: "search-form" },
    h("div", { class: "row" },
      field("Search text", input("text", { value: value("text"), type: "search", placeholder: "empty: newest first", autofocus: true })),
      field("Mode", select("search_mode", MODES, value("search_mode") || "semantic")),
      field("Hybrid α", input("hybrid_alpha", { type: "number", min: 0, max: 1, step: 0.05, value: value("hybrid_alpha"), placeholder: "server" })),
      field("Max distance", input("distance_threshold", { type: "number", min: 0, max: 2, step: 0.05, value: value("distance_threshold") }))),
    h("div", { class: "row" },
      field("Namespace", input("namespace", { value: value("namespace") })),
      field("User", input("user_id", { value: value("user_id") })),
      field("Session", input("session_id", { value: value("session_id") })),
      field("Type", select("memory_type", TYPES, value("memory_type")))),
    h("div", { class: "row" },
      field("Topics (any of, comma)", input("topics", { value: value("topics") })),
      field("Entities (any of, comma)", input("entities", { value: value("entities") })),
      field("Created from", input("from", { type: "date", value: value("from") })),
      field("to", input("to", { type: "date", value: value("to") }))),
    h("div", { class: "row" },
      field("Results", input("limit", { type: "number", min: 1, max: 100, value: value("limit") || 20 })),
      h("button", { type: "submit" }, "Search"),
      h("button", { type: "button", id: "timeline-button", class: "secondary" }, "Timeline")));
}

function legs(m) {
  if (m.score_type !== "hybrid") return null;
  const found = [];
  if (m.semantic_rank) found.push(`semantic #${m.semantic_rank}`);
  if (m.keyword_rank) found.push(`keyword #${m.keyword_rank}`);
  return h("span", { class: "legs" }, `found by ${found.join(" + ") || "—"}`);
}

function resultCard(m) {
  return h("li", { class: "card result", dataset: { id: m.id } },
    h("a", { class: "text", href: `#/memory/${encodeURIComponent(m.id)}` }, m.text),
    h("div", { class: "meta" },
      m.pinned ? h("span", { class: "pin" }, "pinned · ") : null,
      `${m.memory_type} · ${m.namespace ?? "no namespace"} · ${m.user_id ?? "no user"} · ${when(m.created_at)}`),
    h("div", { class: "meta" },
      m.score_type === "listing" ? "listing (newest first)"
        : h("span", { class: "score" }, `${m.score_type} score ${m.score.toFixed(4)} · distance ${m.dist.toFixed(4)}`),
      " ", legs(m)),
    h("div", {}, tagList(m.topics), " ", m.entities?.length ? tagList(m.entities) : null));
}

function facetBox(name, counts, onPick) {
  return h("section", { class: "facet" }, h("h3", {}, name),
    counts.length ? h("ul", {}, counts.map((c) => h("li", {},
      h("button", { type: "button", class: "link", onclick: () => onPick(c.value) }, c.value),
      h("span", { class: "count" }, c.count)))) : h("p", { class: "muted" }, "none"));
}

function timeline(records) {
  const days = new Map();
  for (const r of records) {
    const day = r.created_at.slice(0, 10);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(r);
  }
  const most = Math.max(1, ...[...days.values()].map((d) => d.length));
  return h("ol", { class: "timeline", id: "timeline" }, [...days.entries()].map(([day, items]) =>
    h("li", {}, h("div", { class: "day" }, h("strong", {}, day),
      h("span", { class: "bar" }, h("span", { class: "fill", dataset: { pct: ((100 * items.length) / most).toFixed(1) } })),
      h("span", { class: "count" }, items.length)),
    h("ul", {}, items.map((r) => h("li", {}, h("span", { class: "muted" }, r.created_at.slice(11, 16)), " ",
      h("a", { href: `#/memory/${encodeURIComponent(r.id)}` }, r.text)))))));
}

export async function memoriesPage(main, _arg, params) {
  const form = searchForm(params);
  const out = h("div", { id: "results", "aria-live": "polite" });
  const side = h("aside", { id: "facets", "aria-label": "Facets" });
  const go = (values) => { location.hash = `#/memories${query(values)}`; };
  form.addEventListener("submit", (e) => { e.preventDefault(); go({ ...formValues(form), view: "search" }); });
  form.querySelector("#timeline-button").addEventListener("click", () => go({ ...formValues(form), view: "timeline" }));
  render(main, h("h1", {}, "Long-term memory"), form, h("div", { class: "split" }, out, side));
  const v = Object.fromEntries(params.entries());
  if (!v.view) return;
  const f = filtersOf(v);
  const pick = (name) => (value) => {
    const current = list(v[name]);
    go({ ...v, [name]: [...new Set([...current, value])].join(", ") });
  };
  const pickEq = (name) => (value) => go({ ...v, [name]: value });
  const facetBody = { ...f, fields: ["topics", "entities", "memory_type", "namespace", "user_id"], limit: 15 };
  try {
    if (v.view === "timeline") {
      const page = await api("POST", "/v1/long-term-memory/search", { ...f, text: "", limit: 100 });
      out.replaceChildren(h("h2", {}, `Timeline: ${page.total} memories, newest 100 shown`), timeline(page.memories));
    } else {
      const body = { ...f, text: v.text || "", search_mode: v.search_mode || "semantic", limit: Number(v.limit || 20) };
      if (v.hybrid_alpha) body.hybrid_alpha = Number(v.hybrid_alpha);
      if (v.distance_threshold && body.search_mode !== "keyword") body.distance_threshold = Number(v.distance_threshold);
      const started = performance.now();
      const page = await api("POST", "/v1/long-term-memory/search", body);
      const ms = Math.round(performance.now() - started);
      out.replaceChildren(
        h("h2", {}, `${page.total} found`, h("small", { class: "muted" }, ` in ${ms} ms`)),
        page.memories.length ? h("ol", { class: "results", id: "result-list" }, page.memories.map(resultCard))
          : h("p", { class: "muted", id: "result-list" }, "Nothing matches."));
    }
  } catch (error) { out.replaceChildren(errorBox(error)); }
  try { // asked after the results are shown: counting every match must not delay them
    const counts = await api("POST", "/v1/long-term-memory/facets", facetBody);
    side.replaceChildren(h("h2", {}, `Facets (${counts.total})`),
      facetBox("Topics", counts.facets.topics, pick("topics")),
      facetBox("Entities", counts.facets.entities, pick("entities")),
      facetBox("Types", counts.facets.memory_type, pickEq("memory_type")),
      facetBox("Namespaces", counts.facets.namespace, pickEq("namespace")),
      facetBox("Users", counts.facets.user_id, pickEq("user_id")));
  } catch (error) { side.replaceChildren(errorBox(error)); }
  main.querySelectorAll(".bar .fill").forEach((el) => { el.style.width = `${el.dataset.pct}%`; });
}

export async function memoryPage(main, memoryId) {
  const path = `/v1/long-term-memory/${encodeURIComponent(memoryId)}`;
  const m = await api("GET", path);
  const status = h("p", { role: "status", id: "record-status" });
  const form = h("form", { class: "record", id: "record-form" },
    field("Text", h("textarea", { name: "text", id: "f-text", rows: 5, required: true }, m.text)),
    field("Topics (comma)", input("topics", { value: (m.topics || []).join(", ") })),
    field("Entities (comma)", input("entities", { value: (m.entities || []).join(", ") })),
    field("Type", select("memory_type", TYPES.slice(1), m.memory_type)),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "pinned", id: "f-pinned", checked: m.pinned }),
      " Pinned (never forgotten or compacted)"),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "Save"), " ",
      h("button", { type: "button", class: "danger", id: "delete-record" }, "Delete")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    try {
      const saved = await api("PATCH", path, {
        text: v.text, topics: list(v.topics), entities: list(v.entities),
        memory_type: v.memory_type, pinned: form.elements.pinned.checked,
      });
      status.textContent = `Saved at ${when(saved.updated_at)}.`;
    } catch (error) { status.replaceChildren(errorBox(error)); }
  });
  form.querySelector("#delete-record").addEventListener("click", async () => {
    if (!confirm("Delete this memory?")) return;
    try {
      await api("DELETE", `/v1/long-term-memory${query({ memory_ids: memoryId })}`);
      render(main, h("p", { role: "status", id: "record-status" }, `Memory ${memoryId} deleted.`),
        h("p", {}, h("a", { href: "#/memories" }, "← Memories")));
    } catch (error) { status.replaceChildren(errorBox(error)); }
  });
  render(main,
    h("p", {}, h("button", { type: "button", class: "link", id: "back", onclick: () => history.back() }, "← Back")),
    h("h1", {}, "Memory"),
    h("dl", { class: "facts" },
      h("dt", {}, "Id"), h("dd", {}, m.id),
      h("dt", {}, "Namespace"), h("dd", {}, m.namespace ?? "—"),
      h("dt", {}, "User"), h("dd", {}, m.user_id ?? "—"),
      h("dt", {}, "Session"), h("dd", {}, m.session_id ?? "—"),
      h("dt", {}, "Created"), h("dd", {}, when(m.created_at)),
      h("dt", {}, "Updated"), h("dd", {}, when(m.updated_at)),
      h("dt", {}, "Last accessed"), h("dd", {}, `${when(m.last_accessed)} (${m.access_count} reads)`),
      h("dt", {}, "Extracted from"), h("dd", {}, (m.extracted_from || []).join(", ") || "—")),
    form, status);
}
