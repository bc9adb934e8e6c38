/* The admin page: queues (with their overflow steps and business hours: admin-hours.js), users (their role,
 * name, skills, team and chat capacity, and adding one: admin-users.js), and the desk (canned responses and
 * wrap-up codes: admin-desk.js). Every string of the page, in English and Chinese, is here.
 *
 * Queues: GET /api/queues/, PUT /api/queues/{id}, DELETE /api/queues/{id}. Users: GET /api/users/,
 * POST /api/users/, PATCH /api/users/{id}. What the page can check itself it explains in the page's language;
 * the hub checks everything, and its error detail is shown as it is. All text goes through textContent.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "hub.admin.token";
  const STRINGS = {
    en: {
      title: "Administration", otherLang: "中文", signOut: "Sign out", dismiss: "Dismiss", signIn: "Sign in",
      username: "Username", password: "Password", queues: "Queues", queueId: "Id", queueName: "Name",
      channels: "Channels", skills: "Skills", strategy: "Strategy", overflow: "Overflow", actions: "Actions",
      editQueue: "Create or change a queue", idHelp: "Letters, digits, _ . - (it cannot change later)",
      webchat: "Web chat", wechat: "WeChat", email: "Email", voice: "Voice", channelsHelp: "None ticked: every channel",
      skillsHelp: "skill:minimum level (1-5), comma-separated", longest_idle: "Longest idle",
      least_occupied: "Least occupied", fewest_handled: "Fewest handled today", round_robin: "Round robin",
      highest_proficiency: "Highest proficiency", sticky: "Last agent first (sticky)", priority: "Base priority",
      maxLength: "Max length", addStep: "Add a step", save: "Save queue", clear: "Clear", users: "Users",
      user: "User", role: "Role", team: "Team", chats: "Chats at once", edit: "Edit", remove: "Delete",
      saveUser: "Save", after: "After (s)", minLevel: "Lowest level", alsoQueues: "Also agents of", offer: "Offer",
      offerNone: "Nothing", ticket: "A ticket", callback: "A callback", removeStep: "Remove step {n}",
      stepN: "Step {n}", all: "All", none: "—", saved: "Queue {id} saved.", removed: "Queue {id} deleted.",
      userSaved: "{name} saved.", confirmRemove: "Delete queue {id}?", forbidden: "This page is for admins.",
      sessionEnded: "Your session has ended; please sign in again.", network: "Cannot reach the hub; check your connection.",
      badSkills: "Skills must look like billing:3, mandarin:2 (levels 1-5).",
      editLabel: "Edit queue {id}", removeLabel: "Delete queue {id}", saveUserLabel: "Save {name}",
      skillsOf: "Skills of {name}", teamOf: "Team of {name}", chatsOf: "Chats at once for {name}",
      afterS: "{n} s", role_agent: "Agent", role_supervisor: "Supervisor", role_admin: "Admin",
      canned: "Canned responses", cannedHelp: "Agents type / and the shortcut in the reply box.",
      shortcut: "Shortcut", cannedTitle: "Title", cannedText: "Text", addRow: "Add", saveList: "Save",
      wrapUps: "Wrap-up codes", wrapUpsHelp: "Agents file each conversation they resolve under one of these.",
      wrapCode: "Code", wrapLabel: "Label", removeRow: "Delete row {n}", cannedSaved: "{n} canned responses saved.",
      wrapUpsSaved: "{n} wrap-up codes saved.",
      hours: "Hours", businessHours: "Business hours", alwaysOpen: "Always open", timeZone: "Time zone",
      timeZoneHelp: "An IANA name, e.g. Asia/Shanghai", whenClosed: "When closed", bot_only: "The bot only",
      openingTimes: "Opening times", weekHelp: "For example 09:00-12:00, 13:00-18:00; empty: closed that day",
      holidaysLabel: "Holidays (closed all day)", holidaysHelp: "Dates as YYYY-MM-DD, comma-separated",
      announcement: "Announcement when closed",
      day_mon: "Monday", day_tue: "Tuesday", day_wed: "Wednesday", day_thu: "Thursday", day_fri: "Friday",
      day_sat: "Saturday", day_sun: "Sunday", dayShort_mon: "Mon", dayShort_tue: "Tue", dayShort_wed: "Wed",
      dayShort_thu: "Thu", dayShort_fri: "Fri", dayShort_sat: "Sat", dayShort_sun: "Sun", dayRange: "{from}–{to}", dayRuns: "; ",
      closedAllWeek: "closed every day", holiday1: "1 holiday", holidays: "{n} holidays",
      badSpan: "{day}: “{text}” is not a time span like 09:00-18:00.",
      backwardSpan: "{day}: “{text}” ends before it starts.",
      badHoliday: "“{text}” is not a date like 2025-10-01.", noZone: "Choose the time zone of the business hours.",
      usersHelp: "Team, skills and chats at once are for those who take chats: agents, supervisors and admins.",
      displayName: "Display name", role_editor: "Editor", role_reviewer: "Reviewer", you: "you",
      displayNameOf: "Display name of {name}", roleOf: "Role of {name}", ownRole: "You cannot change your own role",
      addUser: "Add a user", signInName: "Sign-in name", signInNameHelp: "Letters, digits, _ . @ -",
      firstSecret: "Initial passphrase", firstSecretHelp: "At least 8 characters; they sign in with it",
      addUserButton: "Add user", userAdded: "{name} added.",
      badUsername: "A sign-in name is 1 to 64 letters, digits or _ . @ - (no spaces).",
      shortPassword: "The initial passphrase must be at least {n} characters.",
    },
    zh: {
      title: "系统管理", otherLang: "English", signOut: "退出登录", dismiss: "关闭", signIn: "登录",
      username: "用户名", password: "密码", queues: "队列", queueId: "编号", queueName: "名称",
      channels: "渠道", skills: "技能", strategy: "分配策略", overflow: "溢出", actions: "操作",
      editQueue: "新建或修改队列", idHelp: "字母、数字、_ . -（创建后不可修改）",
      webchat: "网页聊天", wechat: "微信", email: "邮件", voice: "语音", channelsHelp: "不勾选：所有渠道",
      skillsHelp: "技能:最低等级（1-5），用逗号分隔", longest_idle: "最长空闲优先",
      least_occupied: "最空闲优先", fewest_handled: "今日接待最少优先", round_robin: "轮流分配",
      highest_proficiency: "技能等级最高优先", sticky: "上次接待坐席优先", priority: "基础优先级",
      maxLength: "最大排队数", addStep: "添加步骤", save: "保存队列", clear: "清空", users: "用户",
      user: "用户", role: "角色", team: "班组", chats: "同时接待数", edit: "编辑", remove: "删除",
      saveUser: "保存", after: "等待（秒）后", minLevel: "最低等级", alsoQueues: "同时分给", offer: "提供",
      offerNone: "无", ticket: "留言", callback: "回电", removeStep: "删除第 {n} 步",
      stepN: "第 {n} 步", all: "全部", none: "—", saved: "队列 {id} 已保存。", removed: "队列 {id} 已删除。",
      userSaved: "{name} 已保存。", confirmRemove: "删除队列 {id}？", forbidden: "此页面仅供管理员使用。",
      sessionEnded: "登录已失效，请重新登录。", network: "无法连接到服务器，请检查网络。",
      badSkills: "技能格式应为 billing:3, mandarin:2（等级 1-5）。",
      editLabel: "编辑队列 {id}", removeLabel: "删除队列 {id}", saveUserLabel: "保存 {name}",
      skillsOf: "{name} 的技能", teamOf: "{name} 的班组", chatsOf: "{name} 的同时接待数",
      afterS: "{n} 秒", role_agent: "坐席", role_supervisor: "班长", role_admin: "管理员",
      canned: "快捷回复", cannedHelp: "坐席在回复框中输入 / 和快捷码即可使用。",
      shortcut: "快捷码", cannedTitle: "标题", cannedText: "内容", addRow: "添加", saveList: "保存",
      wrapUps: "小结分类", wrapUpsHelp: "坐席结束会话时从中选择一项归类。",
      wrapCode: "编码", wrapLabel: "名称", removeRow: "删除第 {n} 行", cannedSaved: "已保存 {n} 条快捷回复。",
      wrapUpsSaved: "已保存 {n} 个小结分类。",
      hours: "营业时间", businessHours: "营业时间", alwaysOpen: "全天候营业", timeZone: "时区",
      timeZoneHelp: "IANA 时区名，例如 Asia/Shanghai", whenClosed: "非营业时间处理方式", bot_only: "仅机器人应答",
      openingTimes: "每周营业时段", weekHelp: "例如 09:00-12:00, 13:00-18:00；留空表示当天休息",
      holidaysLabel: "节假日（全天休息）", holidaysHelp: "日期格式 YYYY-MM-DD，用逗号分隔",
      announcement: "非营业时间提示语",
      day_mon: "星期一", day_tue: "星期二", day_wed: "星期三", day_thu: "星期四", day_fri: "星期五",
      day_sat: "星期六", day_sun: "星期日", dayShort_mon: "周一", dayShort_tue: "周二", dayShort_wed: "周三",
      dayShort_thu: "周四", dayShort_fri: "周五", dayShort_sat: "周六", dayShort_sun: "周日", dayRange: "{from}至{to}", dayRuns: "；",
      closedAllWeek: "每天休息", holiday1: "1 个节假日", holidays: "{n} 个节假日",
      badSpan: "{day}：“{text}”不是时间段，应类似 09:00-18:00。",
      backwardSpan: "{day}：“{text}”的结束时间早于开始时间。",
      badHoliday: "“{text}”不是日期，应类似 2025-10-01。", noZone: "请选择营业时间所用的时区。",
      usersHelp: "班组、技能和同时接待数仅适用于接待会话的用户：坐席、班长和管理员。",
      displayName: "显示名称", role_editor: "编辑", role_reviewer: "审核员", you: "本人",
      displayNameOf: "{name} 的显示名称", roleOf: "{name} 的角色", ownRole: "不能修改自己的角色",
      addUser: "添加用户", signInName: "登录名", signInNameHelp: "字母、数字、_ . @ -",
      firstSecret: "初始口令", firstSecretHelp: "至少 8 个字符，新用户用它登录",
      addUserButton: "添加用户", userAdded: "已添加 {name}。",
      badUsername: "登录名为 1 到 64 个字母、数字或 _ . @ -（不能有空格）。",
      shortPassword: "初始口令至少需要 {n} 个字符。",
    },
  };

  const S = { queues: [], stepCount: 0, editing: null };
  const P = HubStaff.page({ tokenKey: TOKEN_KEY, strings: STRINGS, start,
    render: () => { relabelSteps(); render(); desk.relabel(); } });
  const { t, el, $, api } = P;

  function notify(text) { $("alert").hidden = true; $("notice").textContent = text; $("notice").hidden = false; }
  const showAlert = P.showAlert;
  const failed = P.failed;

  // skills "billing:3, mandarin:2" <-> {billing: 3, mandarin: 2}
  function parseSkills(text) {
    const out = {};
    for (const part of text.split(/[,，]/).map((p) => p.trim()).filter(Boolean)) {
      const m = /^([A-Za-z0-9_.\-]+)\s*[:：]\s*([1-5])$/.exec(part);
      if (!m) throw { detail: t("badSkills") };
      out[m[1]] = Number(m[2]);
    }
    return out;
  }
  function showSkills(skills) { return Object.entries(skills || {}).map(([k, v]) => k + ":" + v).join(", "); }

  const desk = HubDesk.mount(P, notify);
  const hours = HubHours.mount(P);
  const users = HubUsers.mount(P, notify, { parse: parseSkills, show: showSkills });

  async function start() {
    try {
      const me = await api("GET", "/api/agent/me");
      if (me.role !== "admin") throw { status: 403 };
      await users.load(me);
      S.queues = await api("GET", "/api/queues/");
      await desk.load();
    } catch (e) { return failed(e); }
    P.showBoard();
    render();
  }

  // ----- queues -----------------------------------------------------------------------------------
  function render() {
    if ($("board").hidden) return;
    const body = $("queues").tBodies[0];
    body.replaceChildren();
    for (const q of S.queues) {
      const row = el("tr");
      const id = el("th", null, q.id); id.scope = "row"; row.append(id);
      row.append(el("td", null, q.name));
      row.append(el("td", null, q.channels.length ? q.channels.map((c) => t(c)).join(", ") : t("all")));
      row.append(el("td", null, showSkills(q.skills) || t("none")));
      row.append(el("td", null, t(q.strategy)));
      row.append(el("td", null, q.overflow.map((s) => t("afterS", { n: s.after_s })).join(" → ") || t("none")));
      row.append(el("td", "hours-summary", hours.summary(q.hours)));
      const actions = el("td");
      const edit = el("button", null, t("edit"));
      edit.type = "button"; edit.setAttribute("aria-label", t("editLabel", { id: q.id }));
      edit.addEventListener("click", () => fillForm(q));
      const remove = el("button", "danger", t("remove"));
      remove.type = "button"; remove.setAttribute("aria-label", t("removeLabel", { id: q.id }));
      remove.addEventListener("click", () => removeQueue(q.id));
      actions.append(edit, " ", remove);
      row.append(actions);
      body.append(row);
    }
    users.render();
  }

  function addStep(step) {
    S.stepCount += 1;
    const li = el("li");
    const n = S.stepCount;
    const field = (key, input) => {
      const wrap = el("div");
      const label = el("label", null, t(key));
      label.dataset.i18n = key;
      input.id = "step-" + n + "-" + key;
      label.htmlFor = input.id;
      wrap.append(label, input);
      return wrap;
    };
    const after = el("input"); after.type = "number"; after.min = "1"; after.required = true; after.className = "after";
    after.value = step && step.after_s ? String(step.after_s) : "";
    const level = el("select"); level.className = "level";
    for (const v of ["", "1", "2", "3", "4"]) level.append(new Option(v || t("none"), v));
    level.value = step && step.min_proficiency ? String(step.min_proficiency) : "";
    const also = el("input"); also.className = "also"; also.placeholder = "tech, billing";
    also.value = step && step.also_queues ? step.also_queues.join(", ") : "";
    const offer = el("select"); offer.className = "offer";
    for (const [v, key] of [["", "offerNone"], ["ticket", "ticket"], ["callback", "callback"]]) {
      const option = new Option(t(key), v); option.dataset.i18n = key; offer.append(option);
    }
    offer.value = step && step.offer ? step.offer : "";
    const remove = el("button", "danger", "×");
    remove.type = "button";
    remove.addEventListener("click", () => { li.remove(); relabelSteps(); $("add-step").focus(); });
    li.append(field("after", after), field("minLevel", level), field("alsoQueues", also), field("offer", offer), remove);
    $("steps").append(li);
    relabelSteps();
    return after;
  }
  function relabelSteps() {
    [...$("steps").children].forEach((li, i) => {
      li.setAttribute("aria-label", t("stepN", { n: i + 1 }));
      li.querySelector("button").setAttribute("aria-label", t("removeStep", { n: i + 1 }));
    });
  }
  $("add-step").addEventListener("click", () => addStep(null).focus());

  function fillForm(q) {
    $("q-id").value = q.id; $("q-id").readOnly = true;
    $("q-name").value = q.name;
    document.querySelectorAll("input[name=channel]").forEach((box) => { box.checked = q.channels.includes(box.value); });
    $("q-skills").value = showSkills(q.skills);
    $("q-strategy").value = q.strategy;
    $("q-priority").value = String(q.base_priority || 0);
    $("q-maxlen").value = q.max_length ? String(q.max_length) : "";
    $("steps").replaceChildren();
    for (const step of q.overflow) addStep(step);
    hours.fill(q.hours);
    S.editing = q;
    $("q-name").focus();
  }
  $("queue-form").addEventListener("reset", () => {
    $("q-id").readOnly = false; $("steps").replaceChildren(); S.editing = null;
    hours.fill(null);  // what the reset that follows leaves too (the checkbox starts ticked)
  });

  $("queue-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let spec;
    try {
      spec = Object.assign({}, S.editing || {}, {
        id: $("q-id").value.trim(), name: $("q-name").value.trim(),
        channels: [...document.querySelectorAll("input[name=channel]:checked")].map((b) => b.value),
        skills: parseSkills($("q-skills").value), strategy: $("q-strategy").value,
        base_priority: Number($("q-priority").value || 0),
        max_length: $("q-maxlen").value ? Number($("q-maxlen").value) : null,
        overflow: [...$("steps").children].map((li) => {
          const step = { after_s: Number(li.querySelector(".after").value) };
          const level = li.querySelector(".level").value;
          if (level) step.min_proficiency = Number(level);
          const also = li.querySelector(".also").value.split(/[,，\s]+/).filter(Boolean);
          if (also.length) step.also_queues = also;
          const offer = li.querySelector(".offer").value;
          if (offer) step.offer = offer;
          return step;
        }),
        hours: hours.read(),
      });
    } catch (e) { return showAlert(e.detail || String(e)); }
    try {
      S.queues = await api("PUT", "/api/queues/" + encodeURIComponent(spec.id), spec);
      $("queue-form").reset();
      render();
      notify(t("saved", { id: spec.id }));
    } catch (e) { failed(e); }
  });

  async function removeQueue(id) {
    if (!window.confirm(t("confirmRemove", { id }))) return;
    try {
      S.queues = await api("DELETE", "/api/queues/" + encodeURIComponent(id));
      render();
      notify(t("removed", { id }));
    } catch (e) { failed(e); }
  }

  P.run();
})();
