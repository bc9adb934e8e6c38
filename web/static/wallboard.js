/* The supervisor's wallboard: live queue figures and agents by state.
 *
 * Figures come from GET /api/queues/stats, then live from `queue_stats` frames on the agent websocket
 * (pushed to supervisors and admins whenever the queues change); the agent list from GET /api/users,
 * re-read when the figures change. Times in state tick every second. All text goes through textContent.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "hub.wallboard.token";
  const STRINGS = {
    en: {
      title: "Wallboard", otherLang: "中文", signOut: "Sign out", dismiss: "Dismiss", signIn: "Sign in",
      username: "Username", password: "Password", queues: "Queues", queue: "Queue", waiting: "Waiting",
      longest: "Longest wait", estimate: "Expected wait", serviceLevel: "Service level", answered: "Answered",
      abandoned: "Abandoned", agentsCol: "Agents", agents: "Agents", agent: "Agent", team: "Team", state: "State",
      inState: "Time in state", skills: "Skills", updated: "Updated {time}", none: "—",
      ready: "Ready", busy: "Busy", not_ready: "Not ready", wrap_up: "Wrap-up", offline: "Offline",
      reason_break: "Break", reason_lunch: "Lunch", reason_meeting: "Meeting", reason_training: "Training",
      reason_back_office: "Back-office work", reason_missed: "Missed offers",
      connected: "Live", reconnecting: "Connection lost — reconnecting…", forbidden: "The wallboard is for supervisors and admins.",
      network: "Cannot reach the hub; check your connection.", sessionEnded: "Your session has ended; please sign in again.",
      waitingNow: "{queue}: {n} waiting",
      live: "Conversations with agents", noLive: "No conversation is with an agent right now.", customer: "Customer",
      channel: "Channel", actions: "Actions", monitorBtn: "Monitor", monitorLabel: "Monitor the conversation of {name}",
      monitoring: "Monitoring {name} with {agent}", whisperLabel: "Whisper to the agent (the customer does not see it)",
      whisperSend: "Whisper", bargeIn: "Say to the customer (barge in)", stop: "Stop monitoring", visitor: "Visitor {id}", bot: "Bot", system: "System",
      whisperFrom: "Whisper from {name}", webchat: "Web chat", wechat: "WeChat", email: "Email", voice: "Voice",
    },
    zh: {
      title: "实时监控", otherLang: "English", signOut: "退出登录", dismiss: "关闭", signIn: "登录",
      username: "用户名", password: "密码", queues: "队列", queue: "队列", waiting: "排队中",
      longest: "最长等待", estimate: "预计等待", serviceLevel: "服务水平", answered: "已接通",
      abandoned: "已放弃", agentsCol: "坐席", agents: "坐席", agent: "坐席", team: "班组", state: "状态",
      inState: "状态时长", skills: "技能", updated: "更新于 {time}", none: "—",
      ready: "就绪", busy: "忙碌", not_ready: "未就绪", wrap_up: "话后整理", offline: "离线",
      reason_break: "小休", reason_lunch: "用餐", reason_meeting: "会议", reason_training: "培训",
      reason_back_office: "后台处理", reason_missed: "未接请求",
      connected: "实时", reconnecting: "连接已断开，正在重新连接…", forbidden: "实时监控仅供班长和管理员使用。",
      network: "无法连接到服务器，请检查网络。", sessionEnded: "登录已失效，请重新登录。",
      waitingNow: "{queue}：{n} 人排队",
      live: "人工接待中的会话", noLive: "目前没有人工接待中的会话。", customer: "客户",
      channel: "渠道", actions: "操作", monitorBtn: "监听", monitorLabel: "监听 {name} 的会话",
      monitoring: "正在监听：{name}（坐席 {agent}）", whisperLabel: "对坐席说悄悄话（客户看不到）",
      whisperSend: "发送悄悄话", bargeIn: "直接对客户说（强插）", stop: "停止监听", visitor: "访客 {id}", bot: "机器人", system: "系统",
      whisperFrom: "{name} 的悄悄话", webchat: "网页聊天", wechat: "微信", email: "邮件", voice: "语音",
    },
  };
  const STATES = ["ready", "busy", "not_ready", "wrap_up", "offline"];

  const S = { ws: null, retry: 0, stats: [], users: [], names: new Map(), waiting: new Map(), updatedAt: null,
              usersTimer: null, conn: "connected", live: [], monitored: null, seen: new Set() };
  const P = HubStaff.page({ tokenKey: TOKEN_KEY, strings: STRINGS, start, render: () => { setConn(S.conn); render(); },
                            signedOut: () => { $("conn").hidden = true; if (S.ws) S.ws.close(); } });
  const { t, el, $, api } = P;

  function duration(seconds) {
    if (seconds == null) return t("none");
    const s = Math.max(0, Math.round(seconds));
    const m = Math.floor(s / 60);
    return m >= 60 ? Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0")
                   : m + ":" + String(s % 60).padStart(2, "0");
  }
  function announce(text) { $("announce").textContent = text; }

  async function start() {
    try {
      S.stats = await api("GET", "/api/queues/stats");
      S.users = await api("GET", "/api/users/");
      S.live = await api("GET", "/api/conversations/live");
      S.names = new Map((await api("GET", "/api/queues/")).map((q) => [q.id, q.name]));
    } catch (e) { return P.failed(e); }
    P.showBoard();
    $("conn").hidden = false;
    S.updatedAt = new Date();
    render();
    connect();
  }

  // ----- live figures -----------------------------------------------------------------------------
  function connect() {
    if (S.ws || !P.token) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + location.host + "/ws/agent?token=" + encodeURIComponent(P.token));
    S.ws = ws;
    ws.onopen = () => {
      S.retry = 0; setConn("connected");
      if (S.monitored) ws.send(JSON.stringify({ type: "monitor", conversation_id: S.monitored.id }));
    };
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if ((frame.type === "message" || frame.type === "status") && S.monitored && frame.conversation_id === S.monitored.id) {
        if (frame.type === "message") drawMonitored(frame);
      } else if (frame.type === "queue_stats") {
        S.stats = frame.queues; S.updatedAt = new Date(); render(); refreshUsersSoon();
        if (S.stats.some((q) => !S.names.has(q.queue))) refreshNames();
      } else if (frame.type === "error" && frame.code === "unauthorized") {
        P.forget(t("sessionEnded"));
      }
    };
    ws.onclose = () => {
      S.ws = null;
      if (!P.token) return;
      setConn("reconnecting");
      S.retry = Math.min(S.retry + 1, 6);
      setTimeout(connect, 500 * S.retry);
    };
  }
  function setConn(state) {
    S.conn = state;
    $("conn").textContent = t(state);
    $("conn").classList.toggle("down", state !== "connected");
  }
  async function refreshNames() {
    try { S.names = new Map((await api("GET", "/api/queues/")).map((q) => [q.id, q.name])); render(); } catch (e) { /* */ }
  }
  function refreshUsersSoon() {
    if (S.usersTimer) return;
    S.usersTimer = setTimeout(async () => {
      S.usersTimer = null;
      try {
        S.users = await api("GET", "/api/users/");
        S.live = await api("GET", "/api/conversations/live");
        render();
      } catch (e) { /* the next change retries */ }
    }, 300);
  }

  function render() {
    if ($("board").hidden) return;
    const body = $("queues").tBodies[0];
    body.replaceChildren();
    for (const q of S.stats) {
      const row = el("tr");
      row.classList.toggle("alarm", q.service_level != null && q.service_level < 0.8 && q.waiting > 0);
      const name = el("th", null, S.names.get(q.queue) || q.queue); name.scope = "row"; row.append(name);
      row.append(el("td", "num big", String(q.waiting)));
      row.append(el("td", "num", duration(q.longest_wait_s)));
      row.append(el("td", "num", duration(q.estimated_wait_s)));
      row.append(el("td", "num", q.service_level == null ? t("none") : Math.round(q.service_level * 100) + "%"));
      row.append(el("td", "num", String(q.answered_today)));
      row.append(el("td", "num", String(q.abandoned_today)));
      const agents = el("td");
      for (const state of STATES) {
        if (q.agents[state]) agents.append(el("span", "pill " + state, t(state) + " " + q.agents[state]));
      }
      row.append(agents);
      body.append(row);
      const before = S.waiting.get(q.queue);
      if (before !== undefined && before !== q.waiting) {
        announce(t("waitingNow", { queue: S.names.get(q.queue) || q.queue, n: q.waiting }));
      }
      S.waiting.set(q.queue, q.waiting);
    }
    renderAgents();
    renderLive();
    $("updated").textContent = S.updatedAt ? t("updated", { time: S.updatedAt.toLocaleTimeString(P.lang === "zh" ? "zh-CN" : "en") }) : "";
  }

  function agentName(id) {
    const u = S.users.find((x) => x.id === id);
    return u ? (u.display_name || u.username) : t("none");
  }
  // The console's reason codes in the page's language; a reason typed through the API shows as it is.
  function reasonText(reason) { return STRINGS.en["reason_" + reason] ? t("reason_" + reason) : reason; }
  function customerName(c) { return c.contact_name || t("visitor", { id: c.id.slice(-4) }); }  // as the console names them

  /* The Monitor button of conversation id, or of the first conversation when that one has gone. */
  function monitorButton(id) {
    const buttons = [...$("live").querySelectorAll("button[data-conversation]")];
    return buttons.find((b) => b.dataset.conversation === id) || buttons[0] || null;
  }

  function renderLive() {
    const body = $("live").tBodies[0];
    const focused = body.contains(document.activeElement) ? document.activeElement.dataset.conversation : null;
    body.replaceChildren();
    $("live-empty").hidden = S.live.length > 0;
    $("live").hidden = S.live.length === 0;
    for (const c of S.live) {
      const row = el("tr");
      const who = el("th", null, customerName(c)); who.scope = "row"; row.append(who);
      row.append(el("td", null, agentName(c.agent_id)));
      row.append(el("td", null, t(c.channel)));
      const cell = el("td");
      const button = el("button", null, t("monitorBtn"));
      button.type = "button";
      button.setAttribute("aria-label", t("monitorLabel", { name: customerName(c) }));
      button.setAttribute("aria-pressed", String(!!S.monitored && S.monitored.id === c.id));
      button.dataset.conversation = c.id;
      button.addEventListener("click", () => startMonitor(c));
      cell.append(button);
      row.append(cell);
      body.append(row);
    }
    if (S.monitored) {
      $("monitor-title").textContent = t("monitoring", { name: customerName(S.monitored), agent: agentName(S.monitored.agent_id) });
    }
    if (focused) { const again = monitorButton(focused); if (again) again.focus(); }  // live figures redraw the rows
  }

  async function startMonitor(c) {
    if (S.monitored && S.ws) S.ws.send(JSON.stringify({ type: "unmonitor", conversation_id: S.monitored.id }));
    S.monitored = c; S.seen = new Set();
    $("monitor-log").replaceChildren();
    $("monitor").hidden = false;
    if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify({ type: "monitor", conversation_id: c.id }));
    try {
      for (const m of await api("GET", "/api/conversations/" + encodeURIComponent(c.id) + "/messages")) drawMonitored(m);
    } catch (e) { P.showAlert(e.detail || String(e)); }
    renderLive();
    $("whisper").focus();
  }
  $("monitor-stop").addEventListener("click", () => {
    const was = S.monitored;
    if (was && S.ws) S.ws.send(JSON.stringify({ type: "unmonitor", conversation_id: was.id }));
    S.monitored = null; $("monitor").hidden = true; renderLive();
    const back = monitorButton(was && was.id);  // the focus goes back where monitoring started, not to the top
    if (back) back.focus();
  });
  function drawMonitored(m) {
    if (S.seen.has(m.id)) return;
    S.seen.add(m.id);
    const node = el("div", "msg " + m.role);
    const who = m.role === "customer" ? customerName(S.monitored) : m.role === "agent" ? (m.author || t("agent"))
      : m.role === "supervisor" ? t("whisperFrom", { name: m.author || "" }) : t(m.role);
    if (m.role !== "system") node.append(el("span", "who", who));
    node.append(el("div", "bubble", m.text));
    $("monitor-log").append(node);
    $("monitor-log").scrollTop = $("monitor-log").scrollHeight;
  }
  $("whisper-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("whisper").value.trim();
    if (!text || !S.monitored) return;
    const barge = ev.submitter && ev.submitter.id === "barge-in";  // the customer reads it, as from this supervisor
    const path = "/api/conversations/" + encodeURIComponent(S.monitored.id) + (barge ? "/messages" : "/whisper");
    try {
      drawMonitored(await api("POST", path, { text }));
      $("whisper").value = "";
    } catch (e) { P.failed(e); }
  });
  $("whisper").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("whisper-form").requestSubmit(); }
  });

  function renderAgents() {
    const body = $("agents").tBodies[0];
    body.replaceChildren();
    const takers = S.users.filter((u) => u.role === "agent" || u.role === "supervisor" || u.role === "admin");
    takers.sort((a, b) => STATES.indexOf(a.agent_state) - STATES.indexOf(b.agent_state) || a.username.localeCompare(b.username));
    for (const u of takers) {
      const row = el("tr");
      const name = el("th", null, u.display_name || u.username); name.scope = "row"; row.append(name);
      row.append(el("td", null, u.team || t("none")));
      const state = el("td");
      state.append(el("span", "pill " + u.agent_state, t(u.agent_state) + (u.state_reason ? " · " + reasonText(u.state_reason) : "")));
      row.append(state);
      const since = el("td", "num", "");
      since.dataset.since = u.state_changed_at || "";
      row.append(since);
      row.append(el("td", null, Object.entries(u.skills).map(([k, v]) => k + " " + v).join(", ") || t("none")));
      body.append(row);
    }
    tick();
  }
  function tick() {
    document.querySelectorAll("#agents td[data-since]").forEach((cell) => {
      cell.textContent = cell.dataset.since ? duration((Date.now() - Date.parse(cell.dataset.since)) / 1000) : t("none");
    });
  }
  setInterval(tick, 1000);

  P.run();
})();
