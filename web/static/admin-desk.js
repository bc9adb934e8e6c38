/* The admin page's desk section: canned responses and wrap-up codes, each a list edited in place and saved
 * whole (PUT /api/desk/canned, PUT /api/desk/wrap-up-codes). Mounted by admin.js with its page helpers. */
(function () {
  "use strict";

  const LISTS = [
    { id: "canned", path: "/api/desk/canned", saved: "cannedSaved",
      fields: [["shortcut", "shortcut", "input"], ["title", "cannedTitle", "input"], ["text", "cannedText", "textarea"]] },
    { id: "wrapups", path: "/api/desk/wrap-up-codes", saved: "wrapUpsSaved",
      fields: [["code", "wrapCode", "input"], ["label", "wrapLabel", "input"]] },
  ];

  function mount(P, notify) {
    const { t, el, $, api } = P;

    function addRow(list, item) {
      const body = $(list.id).tBodies[0];
      const row = el("tr");
      for (const [field, key, tag] of list.fields) {
        const input = el(tag, field);
        input.value = item ? item[field] : "";
        input.dataset.key = key;
        if (tag === "textarea") input.rows = 2;
        const cell = el("td");
        cell.append(input);
        row.append(cell);
      }
      const remove = el("button", "danger", t("remove"));
      remove.type = "button";
      remove.addEventListener("click", () => { row.remove(); relabel(list); $(list.id + "-add").focus(); });
      const cell = el("td");
      cell.append(remove);
      row.append(cell);
      body.append(row);
      relabel(list);
      return row.querySelector("input, textarea");
    }

    function relabel(list) {
      [...$(list.id).tBodies[0].rows].forEach((row, i) => {
        row.querySelectorAll("[data-key]").forEach((input) => {
          input.setAttribute("aria-label", t(input.dataset.key) + " " + (i + 1));
        });
        row.querySelector("button").setAttribute("aria-label", t("removeRow", { n: i + 1 }));
      });
    }

    async function save(list) {
      const items = [...$(list.id).tBodies[0].rows].map((row) => Object.fromEntries(
        list.fields.map(([field]) => [field, row.querySelector("." + field).value.trim()])));
      try {
        const stored = await api("PUT", list.path, items);
        fill(list, stored);
        notify(t(list.saved, { n: stored.length }));
      } catch (e) { P.failed(e); }
    }

    function fill(list, items) {
      $(list.id).tBodies[0].replaceChildren();
      items.forEach((item) => addRow(list, item));
    }

    for (const list of LISTS) {
      $(list.id + "-add").addEventListener("click", () => addRow(list, null).focus());
      $(list.id + "-save").addEventListener("click", () => save(list));
    }
    return {
      async load() { for (const list of LISTS) fill(list, await api("GET", list.path)); },
      relabel() { LISTS.forEach(relabel); },
    };
  }

  window.HubDesk = { mount };
})();
