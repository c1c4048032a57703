// The memory prompt: exactly the messages POST /v1/memory/prompt gives, with their tokens.
import { api, query } from "./api.js";
import { errorBox, field, formValues, h, input, render, tagList } from "./dom.js";

export async function promptPage(main, _arg, params) {
  const value = (name) => params.get(name) || "";
  const out = h("div", { id: "prompt-out", "aria-live": "polite" });
  const form = h("form", { class: "search", id: "prompt-form" },
    h("div", { class: "row" },
      field("Session", input("session_id", { value: value("session_id") })),
      field("Namespace", input("namespace", { value: value("namespace") })),
      field("User", input("user_id", { value: value("user_id") }))),
    h("div", { class: "row" },
      field("Client model", input("model_name", { value: value("model_name"), placeholder: "gpt-4o-mini" })),
      field("or window (tokens)", input("context_window_max", { type: "number", min: 256, value: value("context_window_max") })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "long_term", id: "f-long_term", checked: value("long_term") !== "off" }), " Long-term search")),
    field("Query", h("textarea", { name: "query", id: "f-query", rows: 2, required: true }, value("query"))),
    h("button", { type: "submit" }, "Preview"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    v.long_term = form.elements.long_term.checked ? "" : "off";
    location.hash = `#/prompt${query({ ...v, run: 1 })}`;
  });
  render(main, h("h1", {}, "Memory prompt preview"), form, out);
  if (!params.get("run") || !value("query")) return;
  const body = { query: value("query"), long_term_search: value("long_term") !== "off" };
  if (value("session_id")) {
    body.session = { session_id: value("session_id") };
    for (const name of ["namespace", "user_id", "model_name"]) if (value(name)) body.session[name] = value(name);
    if (value("context_window_max")) body.session.context_window_max = Number(value("context_window_max"));
  }
  try {
    const answer = await api("POST", "/v1/memory/prompt?token_counts=true", body);
    out.replaceChildren(
      h("h2", {}, `${answer.messages.length} messages, ${answer.total_tokens} tokens`),
      h("ol", { class: "messages", id: "prompt-messages" }, answer.messages.map((m, i) =>
        h("li", { class: `msg role-${m.role}`, dataset: { role: m.role } },
          h("div", { class: "meta" }, h("strong", {}, m.role), ` · ${answer.token_counts[i]} tokens`),
          h("div", { class: "text" }, m.content.text)))),
      h("h2", {}, `Long-term memories used (${answer.long_term_memories.length})`),
      h("ul", {}, answer.long_term_memories.map((m) => h("li", {},
        h("a", { href: `#/memory/${encodeURIComponent(m.id)}` }, m.text),
        h("small", { class: "muted" }, ` score ${m.score.toFixed(3)} `), tagList(m.topics)))));
  } catch (error) { out.replaceChildren(errorBox(error)); }
}
