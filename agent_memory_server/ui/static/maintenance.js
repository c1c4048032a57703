// Compaction and forgetting: a dry run shows what would change; applying it is a second step.
import { api, query } from "./api.js";
import { errorBox, field, formValues, h, input, render } from "./dom.js";

function scopeFields(prefix) {
  return [field("Namespace", input(`${prefix}namespace`)), field("User", input(`${prefix}user_id`))];
}

function scopeOf(v, prefix) {
  return { namespace: v[`${prefix}namespace`], user_id: v[`${prefix}user_id`] };
}

function compactionPanel() {
  const out = h("div", { id: "compact-out", "aria-live": "polite" });
  const form = h("form", { class: "panel", id: "compact-form" },
    h("h2", {}, "Compaction"),
    h("p", { class: "muted" }, "Removes exact copies and merges near-duplicates of one owner."),
    h("div", { class: "row" }, scopeFields("c_"),
      h("button", { type: "submit" }, "Dry run")), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const scope = scopeOf(formValues(form), "c_");
    try {
      const plan = await api("POST", `/v1/long-term-memory/compact${query({ ...scope, dry_run: true })}`);
      const apply = h("button", { type: "button", class: "danger", id: "compact-apply", disabled: !plan.groups.length }, "Apply compaction");
      apply.addEventListener("click", async () => {
        try {
          const done = await api("POST", `/v1/long-term-memory/compact${query(scope)}`);
          out.replaceChildren(h("p", { role: "status" }, `Done: ${done.exact_duplicates_removed} copies removed, ${done.semantic_merged} merged, ${done.kept} kept of ${done.scanned}.`));
        } catch (error) { out.replaceChildren(errorBox(error)); }
      });
      out.replaceChildren(
        h("p", { role: "status" }, `Would remove ${plan.exact_duplicates_removed} exact copies and merge ${plan.semantic_merged} near-duplicates; ${plan.kept} of ${plan.scanned} would remain.`),
        h("ol", { class: "groups" }, plan.groups.map((g) => h("li", { class: "card" },
          h("div", { class: "meta" }, g.kind === "exact" ? "exact copies" : "near-duplicates"),
          h("div", {}, h("strong", {}, "keeps "), g.keep_text),
          h("ul", {}, g.absorbed_texts.map((t) => h("li", { class: "gone" }, t)))))),
        apply);
    } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  return form;
}

function forgettingPanel() {
  const out = h("div", { id: "forget-out", "aria-live": "polite" });
  const form = h("form", { class: "panel", id: "forget-form" },
    h("h2", {}, "Forgetting"),
    h("p", { class: "muted" }, "Deletes memories by age, inactivity or beyond a budget; pinned ones stay."),
    h("div", { class: "row" }, scopeFields("f_")),
    h("div", { class: "row" },
      field("Older than (days)", input("max_age_days", { type: "number", min: 0, step: "any" })),
      field("Inactive for (days)", input("max_inactive_days", { type: "number", min: 0, step: "any" })),
      field("Keep at most", input("budget", { type: "number", min: 0 })),
      h("button", { type: "submit" }, "Dry run")), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const policy = {};
    for (const name of ["max_age_days", "max_inactive_days", "budget"]) {
      if (v[name] !== "") policy[name] = Number(v[name]);
    }
    const scope = scopeOf(v, "f_");
    const run = (dry) => api("POST", `/v1/long-term-memory/forget${query({ ...scope, dry_run: dry })}`, { policy });
    try {
      const plan = await run(true);
      const records = await Promise.all(plan.deleted_ids.slice(0, 50).map((id) =>
        api("GET", `/v1/long-term-memory/${encodeURIComponent(id)}`).catch(() => ({ id, text: "(gone)" }))));
      const apply = h("button", { type: "button", class: "danger", id: "forget-apply", disabled: !plan.deleted }, "Apply forgetting");
      apply.addEventListener("click", async () => {
        try {
          const done = await run(false);
          out.replaceChildren(h("p", { role: "status" }, `Done: ${done.deleted} of ${done.scanned} forgotten.`));
        } catch (error) { out.replaceChildren(errorBox(error)); }
      });
      out.replaceChildren(
        h("p", { role: "status" }, `Would forget ${plan.deleted} of ${plan.scanned} memories in scope.`),
        h("ul", { class: "gone-list" }, records.map((r) => h("li", { class: "gone" }, r.text))),
        plan.deleted > 50 ? h("p", { class: "muted" }, `…and ${plan.deleted - 50} more.`) : null,
        apply);
    } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  return form;
}

export async function maintenancePage(main) {
  render(main, h("h1", {}, "Maintenance"), compactionPanel(), forgettingPanel());
}
