/* What the staff pages (wallboard, admin) share: language (EN/中文, remembered), the signed-in token
 * (per page, in sessionStorage), the API client (errors are JSON {code, detail}), the alert, and the
 * sign-in / sign-out flow (whose form and alert it adds to the page). The page passes its strings and what to
 * do once signed in; it has a <main>, and buttons lang and sign-out and a #board of its own.
 * All text goes through textContent.
 */
window.HubStaff = (function () {
  "use strict";

  const LANG_KEY = "hub.lang";
  const $ = (id) => document.getElementById(id);

  function pickLang() {
    let saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* storage blocked */ }
    if (saved === "en" || saved === "zh") return saved;
    return /^zh\b/i.test(navigator.language || "") ? "zh" : "en";
  }
  function sessionGet(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } }
  function sessionSet(key, value) {
    try { value == null ? sessionStorage.removeItem(key) : sessionStorage.setItem(key, value); } catch (e) { /* */ }
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function labelled(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children || []) node.append(child);
    return node;
  }

  /* The alert and the sign-in form every staff page has, made here rather than repeated in each page. */
  function scaffold() {
    const main = document.querySelector("main");
    if (!$("alert")) {
      const close = labelled("button", { type: "button", id: "alert-close", "data-i18n-label": "dismiss", "aria-label": "Dismiss" },
                             [labelled("span", { "aria-hidden": "true" }, ["×"])]);
      main.before(labelled("div", { id: "alert", class: "alert", role: "alert", hidden: "" },
                           [labelled("span", { id: "alert-text" }), close]));
    }
    if (!$("login")) {
      const field = (id, key, attrs) => [labelled("label", { for: id, "data-i18n": key }),
                                         labelled("input", Object.assign({ id, name: id, required: "" }, attrs))];
      const form = labelled("form", { id: "login-form" }, [
        ...field("username", "username", { autocomplete: "username" }),
        ...field("password", "password", { type: "password", autocomplete: "current-password" }),
        labelled("button", { type: "submit", class: "primary", "data-i18n": "signIn" })]);
      main.prepend(labelled("section", { id: "login", class: "card login", "aria-labelledby": "login-title", hidden: "" },
                            [labelled("h2", { id: "login-title", "data-i18n": "signIn" }), form]));
    }
  }

  /* opts: { tokenKey, strings: {en, zh}, start: async () => {}, render: () => {}, signedOut: () => {},
   *         explain: (error) => text } — explain turns an API error into words for the alert (default: its detail) */
  function page(opts) {
    scaffold();
    const P = { lang: pickLang(), token: sessionGet(opts.tokenKey), el, $ };
    P.explain = opts.explain || ((e) => e.detail || String(e));

    P.t = function (key, vars) {
      let text = opts.strings[P.lang][key] || opts.strings.en[key] || key;
      for (const name in vars || {}) text = text.replace("{" + name + "}", String(vars[name]));
      return text;
    };
    P.showAlert = function (text) {
      const notice = $("notice");
      if (notice) notice.hidden = true;
      $("alert-text").textContent = text;
      $("alert").hidden = false;
    };
    P.api = async function (method, path, body) {
      const headers = { "content-type": "application/json" };
      if (P.token) headers.authorization = "Bearer " + P.token;
      let res;
      try {
        res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        throw { code: "network", detail: P.t("network") };
      }
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw { status: res.status, code: data.code, detail: data.detail || res.statusText };
      return data;
    };
    P.showLogin = function () {
      $("login").hidden = false; $("board").hidden = true; $("sign-out").hidden = true;
      if (opts.signedOut) opts.signedOut();
      $("username").focus();
    };
    P.showBoard = function () {
      $("alert").hidden = true; $("login").hidden = true; $("board").hidden = false; $("sign-out").hidden = false;
    };
    P.forget = function (why) {
      P.token = null; sessionSet(opts.tokenKey, null);
      if (why) P.showAlert(why);
      P.showLogin();
    };
    /* A failed call while signed in: an ended session or a missing role back to the sign-in form. */
    P.failed = function (e) {
      if (e.status === 401) return P.forget(P.t("sessionEnded"));
      if (e.status === 403) { P.showAlert(P.t("forbidden")); return P.showLogin(); }
      P.showAlert(P.explain(e));
    };
    P.applyLang = function () {
      document.documentElement.lang = P.lang === "zh" ? "zh-CN" : "en";
      document.title = P.t("title");
      document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = P.t(n.dataset.i18n); });
      document.querySelectorAll("[data-i18n-label]").forEach((n) => n.setAttribute("aria-label", P.t(n.dataset.i18nLabel)));
      $("lang").textContent = P.t("otherLang");
      $("lang").setAttribute("lang", P.lang === "zh" ? "en" : "zh-CN");
      if (opts.render) opts.render();
    };

    $("lang").addEventListener("click", () => {
      P.lang = P.lang === "zh" ? "en" : "zh";
      try { localStorage.setItem(LANG_KEY, P.lang); } catch (e) { /* */ }
      P.applyLang();
    });
    $("alert-close").addEventListener("click", () => { $("alert").hidden = true; });
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const body = await P.api("POST", "/api/auth/login", { username: $("username").value, password: $("password").value });
        P.token = body.token; sessionSet(opts.tokenKey, P.token);
        $("password").value = "";
        await opts.start();
      } catch (e) { P.showAlert(P.explain(e)); }
    });
    $("sign-out").addEventListener("click", () => P.forget(null));

    P.run = function () {
      P.applyLang();
      if (P.token) opts.start(); else P.showLogin();
    };
    return P;
  }

  return { page };
})();
