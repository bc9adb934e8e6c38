// The console's screen pop: who the customer is (VIP level, what their channel tells of them) and their earlier
// conversations on every channel, each readable in a dialog. Mounted by console.js with its helpers.
(function () {
  "use strict";

  const FACTS = ["wechat_nickname", "wechat_scene", "wechat_subscribed"];

  function create(ctx) {  // {api, t, el, $, channelLabel, wrapUpLabel, roleLabel}
    const { api, t, el, $ } = ctx;
    let current = null;
    let shown = null;  // what render drew last, to draw again in another language

    async function show(conversationId, contactId) {
      current = conversationId;
      $("profile").hidden = true;
      if (!contactId) return;
      try {
        const [contact, history] = await Promise.all([
          api("GET", "/api/contacts/" + encodeURIComponent(contactId)),
          api("GET", "/api/conversations/" + encodeURIComponent(conversationId) + "/history"),
        ]);
        if (current === conversationId) render(contact, history.filter((c) => c.id !== conversationId));
      } catch (e) { /* the profile is a help, not a must: the conversation works without it */ }
    }

    function render(contact, earlier) {
      shown = { contact, earlier };
      $("profile-summary").textContent = t("profileSummary", { n: earlier.length });
      const facts = $("profile-facts");
      facts.replaceChildren();
      const fact = (label, value) => facts.append(el("dt", null, label), el("dd", null, value));
      if (contact.vip) fact(t("vip"), "VIP " + contact.vip);
      if (contact.blocked) fact(t("blocked"), t("yes"));
      if (contact.locale) fact(t("language"), contact.locale);
      for (const key of FACTS) if (contact.attributes && contact.attributes[key]) fact(t(key), contact.attributes[key]);
      facts.hidden = !facts.children.length;
      const list = $("profile-history");
      list.replaceChildren(...earlier.map(item));
      $("profile-none").hidden = earlier.length > 0;
      $("profile").hidden = false;
    }

    function item(past) {
      const li = el("li");
      const when = new Date(past.created_at).toLocaleString(document.documentElement.lang || undefined,
        { dateStyle: "medium", timeStyle: "short" });
      const parts = [when, ctx.channelLabel(past.channel), t("state_" + past.state)];
      if (past.wrap_up_code) parts.push(ctx.wrapUpLabel(past.wrap_up_code));
      if (past.csat) parts.push("★".repeat(past.csat) + "☆".repeat(5 - past.csat));
      li.append(el("span", null, parts.join(" · ")));
      const open = el("button", null, t("read"));
      open.type = "button";
      open.setAttribute("aria-label", t("readLabel", { when }));
      open.addEventListener("click", () => read(past, when));
      li.append(" ", open);
      return li;
    }

    async function read(past, when) {
      try {
        const messages = await api("GET", "/api/conversations/" + encodeURIComponent(past.id) + "/messages?via=" +
          encodeURIComponent(current));
        $("past-title").textContent = t("pastTitle", { when });
        $("past-log").replaceChildren(...messages.map((m) => {
          const node = el("div", "msg " + m.role + (m.internal ? " internal" : ""));
          if (m.role !== "system") node.append(el("span", "who", ctx.roleLabel(m)));
          node.append(el("div", "bubble", m.text));
          return node;
        }));
        $("past").showModal();
      } catch (e) { ctx.showAlert(e.message); }
    }

    /* The page's language changed: the same profile, in the new words. */
    function relabel() { if (shown && !$("profile").hidden) render(shown.contact, shown.earlier); }

    return { show, relabel };
  }

  window.HubScreenPop = { create };
})();
