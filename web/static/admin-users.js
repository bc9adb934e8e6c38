/* The admin page's users: every user with their display name and role and, for those who take chats, team,
 * skills and chats at once, saved row by row (PATCH /api/users/{id}); and adding a user (POST /api/users/).
 * Mounted by admin.js with its page helpers and its skills reader. The signed-in admin's own role cannot be
 * changed here (the hub refuses it too), so an admin never locks themself out.
 */
(function () {
  "use strict";

  const ROLES = ["agent", "supervisor", "admin", "editor", "reviewer"];
  const CHAT_ROLES = new Set(["agent", "supervisor", "admin"]);  // only these take chats: team, skills, capacity
  const USERNAME = /^[A-Za-z0-9_.@\-]{1,64}$/;
  const MIN_PASSWORD = 8;

  function mount(P, notify, skills) {
    const { t, el, $, api } = P;
    const S = { users: [], me: null };

    function roleSelect(value) {
      const select = el("select", "role");
      for (const role of ROLES) {
        const option = new Option(t("role_" + role), role);
        option.dataset.i18n = "role_" + role;
        select.append(option);
      }
      select.value = value;
      return select;
    }

    function render() {
      const body = $("users").tBodies[0];
      body.replaceChildren();
      for (const u of S.users) body.append(row(u));
    }

    function row(u) {
      const name = u.username;
      const mine = u.id === S.me;
      const tr = el("tr");
      const who = el("th", null, name);
      who.scope = "row";
      if (mine) who.append(" ", el("span", "pill", t("you")));
      tr.append(who);
      const cell = (control, label) => {
        control.setAttribute("aria-label", label);
        const td = el("td");
        td.append(control);
        tr.append(td);
        return control;
      };
      const input = (value, cls) => { const box = el("input", cls); box.value = value; return box; };
      const display = cell(input(u.display_name || "", "display"), t("displayNameOf", { name }));
      display.maxLength = 100;
      const role = cell(roleSelect(u.role), t("roleOf", { name }));
      if (mine) { role.disabled = true; role.title = t("ownRole"); }
      const team = cell(input(u.team || "", "team"), t("teamOf", { name }));
      const skillBox = cell(input(skills.show(u.skills), "skills"), t("skillsOf", { name }));
      const chats = cell(input(String(u.capacity), "chats"), t("chatsOf", { name }));
      chats.type = "number"; chats.min = "1"; chats.max = "100";
      const routing = [team, skillBox, chats];
      const fit = () => routing.forEach((box) => { box.disabled = !CHAT_ROLES.has(role.value); });
      role.addEventListener("change", fit);
      fit();
      const save = el("button", null, t("saveUser"));
      save.type = "button";
      save.setAttribute("aria-label", t("saveUserLabel", { name }));
      save.addEventListener("click", async () => {
        try {
          const change = { display_name: display.value.trim() || undefined, role: mine ? undefined : role.value };
          if (CHAT_ROLES.has(role.value)) {
            Object.assign(change, { team: team.value.trim() || undefined, skills: skills.parse(skillBox.value),
                                    capacity: Number(chats.value) });
          }
          Object.assign(u, await api("PATCH", "/api/users/" + encodeURIComponent(u.id), change));
          display.value = u.display_name || "";
          notify(t("userSaved", { name: u.display_name || name }));
        } catch (e) { P.failed(e); }
      });
      const td = el("td");
      td.append(save);
      tr.append(td);
      return tr;
    }

    $("user-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const username = $("u-username").value.trim();
      const password = $("u-password").value;
      if (!USERNAME.test(username)) { $("u-username").focus(); return P.showAlert(t("badUsername")); }
      if (password.length < MIN_PASSWORD) { $("u-password").focus(); return P.showAlert(t("shortPassword", { n: MIN_PASSWORD })); }
      try {
        const created = await api("POST", "/api/users/", {
          username, password, role: $("u-role").value, display_name: $("u-display").value.trim() || undefined });
        S.users = await api("GET", "/api/users/");
        $("user-form").reset();
        render();
        notify(t("userAdded", { name: created.display_name || created.username }));
        $("u-username").focus();
      } catch (e) { P.failed(e); }
    });

    return {
      async load(me) { S.me = me.id; S.users = await api("GET", "/api/users/"); },
      render,
    };
  }

  window.HubUsers = { mount };
})();
