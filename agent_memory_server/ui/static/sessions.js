// Sessions: a filtered list with each session's window usage; one session in full.
import { api, query } from "./api.js";
import {
  duration, errorBox, field, formValues, gauge, h, input, render, tagList, when,
} from "./dom.js";

const PAGE = 20;

function filters(params, onSubmit) {
  return h("form", { class: "filters", role: "search", onsubmit: onSubmit },
    field("Namespace", input("namespace", { value: params.get("namespace") || "" })),
    field("User", input("user_id", { value: params.get("user_id") || "" })),
    h("button", { type: "submit" }, "Filter"));
}

function extraction(status) {
  if (!status) return h("span", { class: "muted" }, "—");
  return h("span", { class: `state state-${status.state}` }, status.state,
    status.error ? h("span", { class: "error" }, ` ${status.error}`) : null);
}

function sessionLink(s) {
  const q = query({ namespace: s.namespace, user_id: s.user_id });
  return h("a", { href: `#/session/${encodeURIComponent(s.session_id)}${q}` }, s.session_id);
}

export async function sessionsPage(main, _arg, params) {
  const offset = Number(params.get("offset") || 0);
  const wanted = { namespace: params.get("namespace"), user_id: params.get("user_id") };
  const go = (values, at = 0) => {
    location.hash = `#/sessions${query({ ...values, offset: at || undefined })}`;
  };
  const form = filters(params, (e) => { e.preventDefault(); go(formValues(e.target)); });
  const list = await api("GET", `/v1/sessions${query({ ...wanted, limit: PAGE, offset })}`);
  const rows = list.sessions.map((s) => h("tr", {},
    h("td", {}, sessionLink(s)),
    h("td", {}, s.namespace ?? "—"),
    h("td", {}, s.user_id ?? "—"),
    h("td", { class: "num" }, s.message_count),
    h("td", {}, gauge(s.tokens, s.context_window_max, s.summarization_threshold_tokens)),
    h("td", {}, s.has_summary ? "yes" : "no"),
    h("td", {}, extraction(s.extraction_status)),
    h("td", {}, duration(s.expires_in_seconds)),
    h("td", {}, when(s.updated_at))));
  const pager = h("p", { class: "pager" },
    offset > 0 && h("button", { type: "button", onclick: () => go(wanted, Math.max(0, offset - PAGE)) }, "← Newer"),
    ` ${list.total ? offset + 1 : 0}–${offset + list.sessions.length} of ${list.total} `,
    offset + PAGE < list.total && h("button", { type: "button", onclick: () => go(wanted, offset + PAGE) }, "Older →"));
  render(main,
    h("h1", {}, "Sessions"),
    form,
    list.sessions.length
      ? h("div", { class: "scroll" }, h("table", { class: "grid", id: "sessions" },
        h("thead", {}, h("tr", {}, ["Session", "Namespace", "User", "Messages", "Window",
          "Summary", "Extraction", "Expires in", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows)))
      : h("p", { class: "muted", id: "sessions" }, "No sessions."),
    pager);
}

export async function sessionPage(main, sessionId, params) {
  const namespace = params.get("namespace") || undefined;
  const userId = params.get("user_id") || undefined;
  const model = params.get("model_name") || undefined;
  const window = params.get("context_window_max") || undefined;
  const where = { namespace, user_id: userId };
  const path = `/v1/working-memory/${encodeURIComponent(sessionId)}`;
  const s = await api("GET", path + query({ ...where, model_name: model, context_window_max: window }));
  const threshold = s.context_window_max && s.context_percentage_until_summarization
    ? Math.round((100 * s.tokens) / s.context_percentage_until_summarization) : null;
  const sizing = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    const v = formValues(e.target);
    location.hash = `#/session/${encodeURIComponent(sessionId)}${query({ ...where, ...v })}`;
  } },
  field("Client model", input("model_name", { value: model || "", placeholder: "gpt-4o-mini" })),
  field("or window (tokens)", input("context_window_max", { type: "number", min: 256, value: window || "" })),
  h("button", { type: "submit" }, "Size the gauge"));
  const remove = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!confirm(`Delete session ${sessionId}? Its messages and summary are lost.`)) return;
    try {
      await api("DELETE", path + query(where));
      location.hash = "#/sessions";
    } catch (error) { main.prepend(errorBox(error)); }
  } }, "Delete session");
  const messages = s.messages.map((m) => h("li", { class: `msg role-${m.role}` },
    h("div", { class: "meta" }, h("strong", {}, m.role), ` · ${when(m.created_at)}`,
      m.discrete_memory_extracted === "t" ? " · extracted" : ""),
    h("div", { class: "text" }, m.content)));
  const status = s.extraction_status;
  render(main,
    h("p", {}, h("a", { href: "#/sessions" }, "← Sessions")),
    h("h1", {}, `Session ${s.session_id}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Namespace"), h("dd", {}, s.namespace ?? "—"),
      h("dt", {}, "User"), h("dd", {}, s.user_id ?? "—"),
      h("dt", {}, "Window"), h("dd", {}, gauge(s.tokens, s.context_window_max, threshold)),
      h("dt", {}, "Extraction"), h("dd", {}, status
        ? `${status.state}${status.error ? ` — ${status.error}` : ""} (${when(status.updated_at)})` : "—"),
      h("dt", {}, "TTL"), h("dd", {}, s.ttl_seconds ? duration(s.ttl_seconds) : "none"),
      h("dt", {}, "Strategy"), h("dd", {}, s.long_term_memory_strategy?.strategy ?? "—"),
      h("dt", {}, "Created"), h("dd", {}, when(s.created_at)),
      h("dt", {}, "Updated"), h("dd", {}, when(s.updated_at))),
    sizing,
    h("p", { class: "actions" }, remove, " ",
      h("a", { class: "button", href: `#/prompt${query({ session_id: sessionId, ...where })}` }, "Preview prompt")),
    h("h2", {}, "Summary"),
    s.context ? h("div", { class: "summary" }, s.context) : h("p", { class: "muted" }, "No summary yet."),
    h("h2", {}, "Data"),
    s.data ? h("pre", {}, JSON.stringify(s.data, null, 2)) : h("p", { class: "muted" }, "No data."),
    s.memories.length ? [h("h2", {}, "Memories waiting for promotion"),
      h("ul", {}, s.memories.map((m) => h("li", {}, m.text, " ", tagList(m.topics))))] : null,
    h("h2", {}, `Messages (${s.messages.length})`),
    s.messages.length ? h("ol", { class: "messages", id: "messages" }, messages)
      : h("p", { class: "muted" }, "No messages."));
}
