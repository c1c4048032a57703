// The router: the URL fragment (#/page/arg?query) picks the view; each view renders into <main>.
import { forgetToken, token } from "./api.js";
import { errorBox, render } from "./dom.js";
import { sessionsPage, sessionPage } from "./sessions.js";
import { memoriesPage, memoryPage } from "./memories.js";
import { maintenancePage } from "./maintenance.js";
import { promptPage } from "./prompt.js";
import { opsPage } from "./ops.js";

const PAGES = {
  sessions: sessionsPage,
  session: sessionPage,
  memories: memoriesPage,
  memory: memoryPage,
  maintenance: maintenancePage,
  prompt: promptPage,
  ops: opsPage,
};
const NAV = { session: "sessions", memory: "memories" };

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const [page = "sessions", ...rest] = path.split("/");
  return {
    page: PAGES[page] ? page : "sessions",
    arg: rest.length ? decodeURIComponent(rest.join("/")) : null,
    params: new URLSearchParams(search),
  };
}

async function route() {
  const main = document.getElementById("main");
  const { page, arg, params } = parseHash();
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.dataset.page === (NAV[page] || page);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.getElementById("signout").hidden = !token();
  try {
    await PAGES[page](main, arg, params);
  } catch (error) {
    render(main, errorBox(error));
  }
  document.getElementById("signout").hidden = !token();
  document.body.dataset.ready = page; // for the browser tests: the view has rendered
  performance.mark(`ready:${page}`); // for benchmarks/ui_timing.py
}

document.getElementById("signout").addEventListener("click", () => {
  forgetToken();
  location.reload();
});
window.addEventListener("hashchange", () => {
  delete document.body.dataset.ready;
  route();
});
route();
