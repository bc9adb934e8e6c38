// Canned responses in a reply box: typing "/" and the start of a shortcut (or of a title) lists the matches;
// ↑/↓ choose, Enter or Tab puts the response in the box, Esc closes the list. Used by the agent console.
(function () {
  "use strict";

  function attach(box, list, items, describe) {
    let matches = [];
    let active = -1;
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-expanded", "false");

    function query() {
      const found = /^\/(\S*)$/.exec(box.value);
      return found ? found[1].toLowerCase() : null;
    }

    function render() {
      list.replaceChildren(...matches.map((item, i) => {
        const option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", String(i === active));
        option.dataset.index = String(i);
        option.textContent = describe(item);
        return option;
      }));
      list.hidden = matches.length === 0;
      box.setAttribute("aria-expanded", String(matches.length > 0));
      if (active >= 0) box.setAttribute("aria-activedescendant", list.id + "-" + active);
      else box.removeAttribute("aria-activedescendant");
    }

    function close() {
      matches = [];
      active = -1;
      render();
    }

    function insert(item) {
      box.value = item.text;
      close();
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }

    box.addEventListener("input", () => {
      const q = query();
      matches = q === null ? [] : items().filter((item) =>
        item.shortcut.toLowerCase().startsWith(q) || item.title.toLowerCase().includes(q));
      active = matches.length ? 0 : -1;
      render();
    });

    box.addEventListener("keydown", (event) => {  // capture: before the console's Enter-to-send
      if (!matches.length) return;
      const moves = { ArrowDown: 1, ArrowUp: -1 };
      if (event.key in moves) {
        active = (active + moves[event.key] + matches.length) % matches.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        insert(matches[Math.max(active, 0)]);
      } else if (event.key === "Escape") {
        close();
      } else {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    }, true);

    box.addEventListener("blur", () => setTimeout(close, 150));
    list.addEventListener("mousedown", (event) => {
      const option = event.target.closest("li");
      if (!option) return;
      event.preventDefault();
      insert(matches[Number(option.dataset.index)]);
    });
    return { close };
  }

  window.HubCanned = { attach };
})();
