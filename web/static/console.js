/* The bare agent console: sign in, presence, offers, assigned conversations, reply/transfer/resolve.
 *
 * REST under /api (bearer token kept in sessionStorage; errors are JSON {code, detail}) and the agent
 * websocket /ws/agent?token=… for live offers, messages and status. All text goes through textContent.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "hub.console.token";
  const LANG_KEY = "hub.lang";
  const STRINGS = {
    en: {
      title: "Agent console", otherLang: "中文", presence: "Availability", ready: "Ready", notReady: "Not ready",
      missedOffers: "You missed several offers in a row, so you were set to Not ready. Choose Ready to take chats again.",
      signOut: "Sign out", dismiss: "Dismiss", signIn: "Sign in", username: "Username", password: "Password",
      sidebar: "Offers and conversations", offers: "Offers", noOffers: "No chats waiting for you.",
      conversations: "My conversations", noConversations: "No assigned conversations.",
      pickOne: "Select a conversation to read and reply.", transfer: "Transfer", resolve: "Resolve",
      transferTo: "Transfer to", ownQueue: "Its queue", toBot: "Back to the bot",
      replyLabel: "Reply", replyPlaceholder: "Write a reply… (Enter to send, Shift+Enter for a new line, / for canned)",
      send: "Send", accept: "Accept", decline: "Decline", visitor: "Visitor {id}",
      expiresIn: "Expires in {n} s", expired: "Expired", newOffer: "New chat offer: {name}",
      unread: "{n} unread", customer: "Customer", bot: "Bot", system: "System",
      state_assigned: "Assigned to you", state_queued: "Transferred back to the queue",
      state_resolved: "Resolved", state_bot: "With the bot",
      connected: "Connected", connecting: "Connecting…", reconnecting: "Connection lost — reconnecting…",
      offline: "Offline", wrap_up: "Wrap-up", network: "Cannot reach the hub; check your connection.",
      sessionEnded: "Your session has ended; please sign in again.", withdrawn: "Offer withdrawn: {name}",
      suggested: "Suggested replies", use: "Use", useLabel: "Use the suggested reply “{title}”", draft: "Draft",
      whisperFrom: "Whisper from {name} (the customer does not see it)",
      notDelivered: "Not delivered", picture: "Open the picture",
      channel_webchat: "Web chat", channel_wechat: "WeChat", channel_email: "Email", channel_voice: "Voice",
      noteMode: "Internal note", noteBy: "Note by {name} (the customer does not see it)",
      attach: "Attach a picture or file", customerTyping: "The customer is typing…",
      cannedList: "Canned responses", addNote: "Add note", wrapUpTitle: "Resolve the conversation",
      wrapUpCode: "Wrap-up code", wrapUpNote: "Note (optional)", cancel: "Cancel",
      alertsOn: "Offer alerts", alertsEnabled: "Offer alerts on", alertsBlocked: "The browser blocks notifications; " +
        "offers still chime.", shortcuts: "Shortcuts", close: "Close", keyAccept: "Accept the first offer",
      keyDecline: "Decline the first offer", keyNext: "Next / previous conversation", keyReply: "Write a reply",
      keyNote: "Switch between reply and internal note", keyResolve: "Resolve the conversation",
      keyCanned: "Canned responses (in the reply box)",
      queuesGroup: "Queues", agentsGroup: "Agents", agent: "Agent", profileSummary: "Customer profile · {n} earlier",
      earlier: "Earlier conversations", noEarlier: "None: this is the first.", vip: "VIP level", blocked: "Blacklisted",
      yes: "yes", language: "Language", wechat_nickname: "WeChat nickname", wechat_scene: "Came from (QR code)",
      wechat_subscribed: "Follows the account", read: "Read", readLabel: "Read the conversation of {when}",
      pastTitle: "Conversation of {when}",
      undelivered_outside_window: "Not delivered: the customer has not written for 48 hours, and WeChat takes no " +
        "more messages to them until they do.",
      undelivered_too_many_messages: "Not delivered: WeChat's limit of messages to this customer was reached.",
      undelivered_other: "Not delivered to the customer ({reason}).",
      reasonLabel: "Why not ready", reason_break: "Break", reason_lunch: "Lunch", reason_meeting: "Meeting",
      reason_training: "Training", reason_back_office: "Back-office work",
      kbSearch: "Search the knowledge base", kbSearchHint: "Search the knowledge base…", search: "Search",
      keySearch: "Search the knowledge base", results: "Knowledge base: “{q}”", noResults: "Nothing found for “{q}”.",
      noSuggestions: "No suggestions for the customer's last message; search the knowledge base.",
      hold: "Hold", resume: "Resume", onHold: "On hold {time}", keyHold: "Hold the customer / resume",
      heldAnnounce: "The customer is on hold and has been told so.", resumedAnnounce: "Back from hold.",
    },
    zh: {
      title: "客服工作台", otherLang: "English", presence: "在线状态", ready: "就绪", notReady: "未就绪",
      missedOffers: "您连续错过了多个接入请求，已被设为“未就绪”。点击“就绪”即可继续接待。",
      signOut: "退出登录", dismiss: "关闭", signIn: "登录", username: "用户名", password: "密码",
      sidebar: "待接入与会话", offers: "待接入", noOffers: "暂无等待您接入的对话。",
      conversations: "我的会话", noConversations: "暂无分配给您的会话。",
      pickOne: "请选择一个会话进行查看和回复。", transfer: "转接", resolve: "结束会话",
      transferTo: "转接到", ownQueue: "原队列", toBot: "转回机器人",
      replyLabel: "回复", replyPlaceholder: "输入回复…（Enter 发送，Shift+Enter 换行，/ 快捷回复）",
      send: "发送", accept: "接入", decline: "拒绝", visitor: "访客 {id}",
      expiresIn: "{n} 秒后过期", expired: "已过期", newOffer: "新的对话请求：{name}",
      unread: "{n} 条未读", customer: "客户", bot: "机器人", system: "系统",
      state_assigned: "已分配给您", state_queued: "已转回队列",
      state_resolved: "已结束", state_bot: "机器人接待中",
      connected: "已连接", connecting: "正在连接…", reconnecting: "连接已断开，正在重新连接…",
      offline: "离线", wrap_up: "话后整理", network: "无法连接到服务器，请检查网络。",
      sessionEnded: "登录已失效，请重新登录。", withdrawn: "对话请求已撤回：{name}",
      suggested: "推荐回复", use: "使用", useLabel: "使用推荐回复“{title}”", draft: "草稿",
      whisperFrom: "{name} 的悄悄话（客户看不到）",
      notDelivered: "未送达", picture: "查看图片",
      channel_webchat: "网页聊天", channel_wechat: "微信", channel_email: "邮件", channel_voice: "语音",
      noteMode: "内部备注", noteBy: "{name} 的备注（客户看不到）", attach: "添加图片或文件", customerTyping: "客户正在输入…", cannedList: "快捷回复", addNote: "添加备注",
      wrapUpTitle: "结束会话", wrapUpCode: "小结分类", wrapUpNote: "备注（选填）", cancel: "取消",
      alertsOn: "新对话提醒", alertsEnabled: "新对话提醒已开启", alertsBlocked: "浏览器禁止了桌面通知；新对话仍会响铃。",
      shortcuts: "快捷键", close: "关闭", keyAccept: "接入第一个对话请求", keyDecline: "拒绝第一个对话请求",
      keyNext: "下一个 / 上一个会话", keyReply: "输入回复", keyNote: "在回复和内部备注之间切换",
      keyResolve: "结束会话", keyCanned: "快捷回复（在回复框中）",
      queuesGroup: "队列", agentsGroup: "坐席", agent: "坐席", profileSummary: "客户资料 · 历史会话 {n} 个",
      earlier: "历史会话", noEarlier: "无：这是第一次联系。", vip: "VIP 等级", blocked: "黑名单", yes: "是",
      language: "语言", wechat_nickname: "微信昵称", wechat_scene: "来源（二维码）", wechat_subscribed: "已关注公众号",
      read: "查看", readLabel: "查看 {when} 的会话", pastTitle: "{when} 的会话",
      undelivered_outside_window: "未送达：客户已超过 48 小时未发消息，在客户再次发消息之前微信不接受继续发送。",
      undelivered_too_many_messages: "未送达：已达到微信对该客户的消息条数上限。",
      undelivered_other: "未能送达客户（{reason}）。",
      reasonLabel: "未就绪原因", reason_break: "小休", reason_lunch: "用餐", reason_meeting: "会议",
      reason_training: "培训", reason_back_office: "后台处理",
      kbSearch: "搜索知识库", kbSearchHint: "搜索知识库…", search: "搜索", keySearch: "搜索知识库",
      results: "知识库：“{q}”", noResults: "没有找到与“{q}”相关的内容。",
      noSuggestions: "客户最新消息暂无推荐回复，可搜索知识库。",
      hold: "保持", resume: "恢复", onHold: "保持中 {time}", keyHold: "保持 / 恢复会话",
      heldAnnounce: "会话已保持，客户已收到请稍候的提示。", resumedAnnounce: "已恢复会话。",
    },
  };

  const $ = (id) => document.getElementById(id);
  const S = {
    lang: pickLang(), token: sessionGet(TOKEN_KEY), me: null, ws: null, retry: 0, timer: null, ping: null,
    wsState: "connecting", offers: new Map(), offerNodes: new Map(), convs: new Map(), selected: null,
    draft: null, assist: new Map(), kb: null,
  };

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

  function t(key, vars) {
    let text = STRINGS[S.lang][key] || STRINGS.en[key] || key;
    for (const name in vars || {}) text = text.replace("{" + name + "}", String(vars[name]));
    return text;
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function announce(text) { $("announce").textContent = text; }
  function showAlert(text) { $("alert-text").textContent = text; $("alert").hidden = false; }
  function clearAlert() { $("alert").hidden = true; }

  // ----- REST ------------------------------------------------------------------------------------
  async function api(method, path, body, extraHeaders) {  // a Blob body is sent as it is (an upload)
    const headers = Object.assign({}, extraHeaders);
    if (S.token) headers.authorization = "Bearer " + S.token;
    const raw = body instanceof Blob;
    if (body !== undefined && !raw) headers["content-type"] = "application/json";
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined || raw ? body : JSON.stringify(body) });
    } catch (e) {
      throw Object.assign(new Error(t("network")), { code: "network" });
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* empty or not JSON */ }
    if (!res.ok) {
      const error = Object.assign(new Error((data && data.detail) || res.statusText || "HTTP " + res.status),
        { code: data && data.code, status: res.status });
      if (res.status === 401 && S.token) endSession(t("sessionEnded"));
      throw error;
    }
    return data;
  }

  // ----- sign in and out ---------------------------------------------------------------------------
  async function start() {
    applyLang();
    if (!S.token) return showLogin();
    try {
      S.me = await api("GET", "/api/agent/me");
      showApp();
    } catch (e) {
      if (S.token) showAlert(e.message);
      showLogin();
    }
  }

  function showLogin() {
    $("app").hidden = true;
    $("agentbar").hidden = true;
    $("login").hidden = false;
    $("username").focus();
  }

  function showApp() {
    loadQueues();
    loadCanned();
    renderAlerts();
    $("login").hidden = true;
    $("app").hidden = false;
    $("agentbar").hidden = false;
    renderPresence();
    renderOffers();
    renderConvs();
    renderPane();
    connect();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter || $("login-form").querySelector("button");
    button.disabled = true;
    try {
      const out = await api("POST", "/api/auth/login", { username: $("username").value, password: $("password").value });
      S.token = out.token;
      sessionSet(TOKEN_KEY, out.token);
      S.me = await api("GET", "/api/agent/me");
      $("password").value = "";
      clearAlert();
      showApp();
      $("ready").focus();
    } catch (e) {
      showAlert(e.message);
      $("password").select();
    } finally {
      button.disabled = false;
    }
  });

  function endSession(message) {
    S.token = null;
    sessionSet(TOKEN_KEY, null);
    if (S.ws) S.ws.close();
    S.ws = null;
    clearTimeout(S.timer);
    clearInterval(S.ping);
    S.me = null;
    S.offers.clear();
    S.convs.clear();
    S.selected = null;
    $("offers").textContent = "";
    S.offerNodes.clear();
    if (message) showAlert(message);
    showLogin();
  }

  $("sign-out").addEventListener("click", async () => {
    if (S.me && S.me.state === "ready") {
      try { await api("POST", "/api/agent/state", { state: "not_ready" }); } catch (e) { /* signing out anyway */ }
    }
    clearAlert();
    endSession(null);
  });

  // ----- presence ----------------------------------------------------------------------------------
  async function setPresence(state) {
    const reason = state === "not_ready" ? $("nr-reason").value : undefined;
    try {
      await api("POST", "/api/agent/state", { state, reason });
      S.me.state = state;
      S.me.state_reason = reason || null;
      clearAlert();
      renderPresence();
    } catch (e) {
      showAlert(e.message);
    }
  }
  $("ready").addEventListener("click", () => setPresence("ready"));
  $("not-ready").addEventListener("click", () => setPresence("not_ready"));
  $("nr-reason").addEventListener("change", () => {  // a new reason while not ready: the hub hears it at once
    if (S.me && S.me.state === "not_ready") setPresence("not_ready");
  });

  function renderPresence() {
    if (!S.me) return;
    const state = S.me.state;
    $("ready").setAttribute("aria-pressed", String(state === "ready"));
    $("not-ready").setAttribute("aria-pressed", String(state === "not_ready"));
    const known = [...$("nr-reason").options].some((o) => o.value === S.me.state_reason);
    if (state === "not_ready" && known) $("nr-reason").value = S.me.state_reason;
    const shown = state === "offline" || state === "wrap_up" ? " · " + t(state) : "";
    $("who").textContent = (S.me.display_name || S.me.username) + shown;
    const conn = $("conn");
    conn.textContent = t(S.wsState);
    conn.classList.toggle("down", S.wsState !== "connected");
  }

  // ----- the agent websocket ---------------------------------------------------------------------
  function connect() {
    clearTimeout(S.timer);
    if (S.ws || !S.token) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + location.host + "/ws/agent?token=" + encodeURIComponent(S.token));
    S.ws = ws;
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    };
    ws.onclose = (event) => {
      if (S.ws !== ws) return;
      S.ws = null;
      clearInterval(S.ping);
      if (!S.token) return;
      if (event.code === 4401) return endSession(t("sessionEnded"));
      S.wsState = "reconnecting";
      renderPresence();
      const delay = Math.min(30000, 1000 * Math.pow(2, S.retry)) * (0.6 + Math.random() * 0.4);
      S.retry = Math.min(S.retry + 1, 6);
      S.timer = setTimeout(connect, delay);
    };
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome": return onWelcome(frame);
      case "offer": return onOffer(frame);
      case "offer_withdrawn": return onWithdrawn(frame);
      case "message": return onMessage(frame);
      case "status": return onStatus(frame);
      case "agent_state": return onAgentState(frame);
      case "suggestions": return onSuggestions(frame);
      case "undelivered": return onUndelivered(frame);
      case "typing": return onTyping(frame);
      case "error": return showAlert(frame.detail);
      default: return undefined; // ack, pong
    }
  }

  // The hub (or another console of this agent) changed the presence state: e.g. not ready after missed offers.
  function onAgentState(frame) {
    if (!S.me) return;
    S.me.state = frame.state;
    S.me.state_reason = frame.reason || null;
    renderPresence();
    if (frame.reason === "missed") { showAlert(t("missedOffers")); announce(t("missedOffers")); }
  }

  // ----- agent assist: the KB's best answers for the customer's latest message ------------------------
  function onSuggestions(frame) {
    S.assist.set(frame.conversation_id, frame);
    if (S.selected === frame.conversation_id) renderAssist();
  }

  async function loadAssist(id) {
    try {
      onSuggestions(await api("GET", "/api/conversations/" + encodeURIComponent(id) + "/suggestions"));
    } catch (e) { /* no suggestions is not an error worth showing */ }
  }

  function renderAssist() {
    const frame = S.selected && S.assist.get(S.selected);
    const found = S.kb && S.kb.conversation === S.selected ? S.kb : null;  // a search overrides the suggestions
    const list = $("assist-list");
    list.textContent = "";
    const items = [];
    if (found) found.items.forEach((s) => items.push({ title: s.title, answer: s.answer }));
    else if (frame && frame.draft) items.push({ title: t("draft"), answer: frame.draft });
    if (!found && frame) (frame.suggestions || []).forEach((s) => items.push({ title: s.title, answer: s.answer }));
    $("assist-title").textContent = found ? t("results", { q: found.q }) : t("suggested");
    $("assist-none").textContent = found ? t("noResults", { q: found.q }) : t("noSuggestions");
    $("assist-none").hidden = items.length > 0;
    items.forEach((item) => {
      const li = el("li", "suggestion");
      li.appendChild(el("strong", null, item.title));
      li.appendChild(el("p", null, item.answer));
      const use = el("button", null, t("use"));
      use.type = "button";
      use.setAttribute("aria-label", t("useLabel", { title: item.title }));
      use.addEventListener("click", () => { $("reply").value = item.answer; $("reply").focus(); });
      li.appendChild(use);
      list.appendChild(li);
    });
    const entry = S.selected && S.convs.get(S.selected);
    $("assist").hidden = !entry || entry.state !== "assigned";
  }

  $("kb-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("kb-q").value.trim();
    const entry = S.selected && S.convs.get(S.selected);
    if (!entry) return;
    if (!q) { S.kb = null; return renderAssist(); }  // an empty search goes back to the suggestions
    try {
      const params = new URLSearchParams({ q, k: "5" });
      if (entry.channel) params.set("channel", entry.channel);
      const out = await api("GET", "/api/kb/search?" + params);
      S.kb = { conversation: entry.id, q, items: out.suggestions };
      clearAlert();
      renderAssist();
      announce(out.suggestions.length ? t("results", { q }) : t("noResults", { q }));
    } catch (e) {
      showAlert(e.message);
    }
  });
  $("kb-q").addEventListener("search", () => { if (!$("kb-q").value) { S.kb = null; renderAssist(); } });

  function onWelcome(frame) {
    S.retry = 0;
    S.wsState = "connected";
    if (S.me) S.me.state = frame.state;
    renderPresence();
    clearInterval(S.ping);
    S.ping = setInterval(() => { if (S.ws && S.ws.readyState === 1) S.ws.send('{"type":"ping"}'); }, 25000);
    refreshConversations(frame.conversations || []);
  }

  // ----- offers ------------------------------------------------------------------------------------
  function contactName(name, id) { return name || t("visitor", { id: String(id).slice(-4) }); }

  function onOffer(frame) {
    S.offers.set(frame.conversation_id, Object.assign({ deadline: Date.parse(frame.expires_at) }, frame));
    renderOffers();
    const text = t("newOffer", { name: contactName(frame.contact, frame.conversation_id) });
    announce(text);
    window.HubAlerting.notify(t("title"), text + (frame.preview ? " — " + frame.preview : ""), () => {
      const node = S.offerNodes.get(frame.conversation_id);
      if (node) node.querySelector("button").focus();
    });
  }

  function onWithdrawn(frame) {
    const offer = S.offers.get(frame.conversation_id);
    if (!offer) return;
    S.offers.delete(frame.conversation_id);
    renderOffers();
    announce(t("withdrawn", { name: contactName(offer.contact, offer.conversation_id) }));
  }

  function offerNode(offer) {
    const id = offer.conversation_id;
    const li = el("li", "offer");
    li.setAttribute("aria-labelledby", "offer-" + id);
    const title = el("h3", null, contactName(offer.contact, id) + " ");
    title.id = "offer-" + id;
    title.appendChild(el("span", "chan", "· " + channelLabel(offer.channel)));
    li.appendChild(title);
    if (offer.preview) li.appendChild(el("p", "preview", "“" + offer.preview + "”"));
    if (offer.summary) li.appendChild(el("p", "summary", offer.summary));
    li.appendChild(el("p", "expires"));
    const buttons = el("div", "buttons");
    const accept = el("button", "primary", t("accept"));
    const decline = el("button", null, t("decline"));
    accept.type = decline.type = "button";
    accept.addEventListener("click", () => answerOffer(id, "accept", [accept, decline]));
    decline.addEventListener("click", () => answerOffer(id, "decline", [accept, decline]));
    buttons.append(accept, decline);
    li.appendChild(buttons);
    return li;
  }

  function renderOffers() {
    for (const [id, node] of S.offerNodes) {
      if (!S.offers.has(id)) { node.remove(); S.offerNodes.delete(id); }
    }
    for (const [id, offer] of S.offers) {
      if (!S.offerNodes.has(id)) {
        const node = offerNode(offer);
        S.offerNodes.set(id, node);
        $("offers").appendChild(node);
      }
    }
    $("offers-empty").hidden = S.offers.size > 0;
    tick();
  }

  // The conversation header's line: channel · state · on hold m:ss.
  function paneState(entry) {
    const held = entry.state === "assigned" && entry.heldSince;
    return [channelLabel(entry.channel), t("state_" + entry.state), held ? t("onHold", { time: heldFor(entry) }) : ""]
      .filter(Boolean).join(" · ");
  }

  function heldFor(entry) {  // m:ss on hold
    const s = Math.max(0, Math.floor((Date.now() - entry.heldSince) / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function tick() {
    for (const [id, node] of S.offerNodes) {
      const left = Math.ceil((S.offers.get(id).deadline - Date.now()) / 1000);
      node.querySelector(".expires").textContent = left > 0 ? t("expiresIn", { n: left }) : t("expired");
    }
    for (const entry of S.convs.values()) {  // hold timers: text only, so focus and reading are not disturbed
      if (!entry.heldSince || entry.state !== "assigned") continue;
      const node = document.querySelector('#convs [data-conv="' + CSS.escape(entry.id) + '"] .held');
      if (node) node.textContent = t("onHold", { time: heldFor(entry) });
      if (S.selected === entry.id) $("pane-state").textContent = paneState(entry);
    }
  }
  setInterval(tick, 1000);

  async function answerOffer(id, verb, buttons) {
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const out = await api("POST", "/api/conversations/" + encodeURIComponent(id) + "/" + verb);
      S.offers.delete(id);
      renderOffers();
      clearAlert();
      if (verb === "accept") {
        upsertConv(out);
        select(id);
        $("reply").focus();
      }
    } catch (e) {
      showAlert(e.message);
      if (e.status === 409) { S.offers.delete(id); renderOffers(); }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // ----- conversations ---------------------------------------------------------------------------
  function entryOf(id) {
    if (!S.convs.has(id)) {
      S.convs.set(id, { id, name: null, channel: "", state: "assigned", unread: 0, lastSeq: 0, seen: new Set(),
        shown: [], undelivered: new Set() });
    }
    return S.convs.get(id);
  }

  function upsertConv(out) {
    const entry = entryOf(out.id);
    entry.name = out.contact_name;
    entry.contactId = out.contact_id;
    if (S.selected === out.id && !S.popped) { S.popped = true; pop.show(out.id, out.contact_id); }
    entry.channel = out.channel;
    entry.state = out.state;
    entry.heldSince = out.on_hold_since ? Date.parse(out.on_hold_since) : null;
    renderConvs();
    if (S.selected === out.id) renderPane();
  }

  async function refreshConversations(ids) {
    try {
      const mine = await api("GET", "/api/conversations/");
      const listed = new Set(mine.map((c) => c.id));
      for (const entry of S.convs.values()) {
        if (!listed.has(entry.id) && entry.state === "assigned") entry.state = "resolved";
      }
      mine.forEach(upsertConv);
      for (const id of ids) {
        if (!listed.has(id)) upsertConv(await api("GET", "/api/conversations/" + encodeURIComponent(id)));
      }
      renderConvs();
      if (S.selected) await loadMessages(S.convs.get(S.selected)); // catch up after a reconnect
    } catch (e) {
      showAlert(e.message);
    }
  }

  function renderConvs() {
    const list = $("convs");
    const focused = document.activeElement && document.activeElement.dataset.conv;
    list.textContent = "";
    let unread = 0;
    for (const entry of S.convs.values()) {
      if (entry.state !== "assigned") continue;
      unread += entry.unread;
      const button = el("button", "conv");
      button.type = "button";
      button.dataset.conv = entry.id;
      button.setAttribute("aria-current", String(entry.id === S.selected));
      button.appendChild(el("span", "name", contactName(entry.name, entry.id)));
      button.appendChild(el("span", "chan", channelLabel(entry.channel)));
      if (entry.heldSince) button.appendChild(el("span", "held", t("onHold", { time: heldFor(entry) })));
      if (entry.unread) {
        const badge = el("span", "unread", String(entry.unread));
        badge.setAttribute("aria-label", t("unread", { n: entry.unread }));
        button.appendChild(badge);
      }
      button.addEventListener("click", () => select(entry.id));
      const li = el("li");
      li.appendChild(button);
      list.appendChild(li);
      if (focused === entry.id) button.focus();
    }
    $("convs-empty").hidden = list.children.length > 0;
    document.title = (unread ? "(" + unread + ") " : "") + t("title");
  }

  function select(id) {
    const entry = entryOf(id);
    if (S.selected !== id) { S.kb = null; $("kb-q").value = ""; }  // a search belongs to its conversation
    S.selected = id;
    $("typing").hidden = true;
    entry.unread = 0;
    entry.seen = new Set();
    entry.shown = [];
    entry.lastSeq = 0;
    $("log").textContent = "";
    S.draft = null;
    renderConvs();
    renderPane();
    loadMessages(entry);
    loadAssist(id);
    S.popped = !!entry.contactId;
    pop.show(id, entry.contactId);
  }

  async function loadMessages(entry) {
    try {
      const messages = await api("GET", "/api/conversations/" + encodeURIComponent(entry.id) +
        "/messages?after=" + entry.lastSeq);
      if (S.selected === entry.id) messages.forEach((m) => showMessage(entry, m));
    } catch (e) {
      showAlert(e.message);
    }
  }

  function onMessage(msg) {
    const entry = entryOf(msg.conversation_id);
    if (S.selected === msg.conversation_id && msg.role === "customer") $("typing").hidden = true;
    if (S.selected === msg.conversation_id) return showMessage(entry, msg);
    if (msg.role !== "agent") entry.unread += 1;
    if (!entry.channel) refreshConversations([]);
    renderConvs();
  }

  function onStatus(frame) {
    const entry = S.convs.get(frame.conversation_id);
    if (!entry) {
      if (frame.state === "assigned") refreshConversations([frame.conversation_id]);
      return;
    }
    entry.state = frame.state;
    if (!frame.on_hold) entry.heldSince = null;
    else if (!entry.heldSince) entry.heldSince = Date.now();
    renderConvs();
    if (S.selected === entry.id) renderPane();
  }

  function roleLabel(msg, entry) {
    if (msg.role === "customer") return contactName(entry.name, entry.id);
    if (msg.role === "agent" && msg.internal) return t("noteBy", { name: msg.author || "" });
    if (msg.role === "agent") return msg.author || t("title");
    if (msg.role === "supervisor") return t("whisperFrom", { name: msg.author || "" });
    return t(msg.role);
  }

  // lastSeq: every message up to it has been shown, with no gap (a catch-up after a reconnect reads from
  // there). A live message past a gap (one came while the socket was away) does not move it.
  function showMessage(entry, msg) {
    if ((msg.seq || 0) <= entry.lastSeq + 1) entry.lastSeq = Math.max(entry.lastSeq, msg.seq || 0);
    if (entry.seen.has(msg.id)) return;
    entry.seen.add(msg.id);
    entry.shown.push(msg);
    drawMessage(entry, msg);
  }

  function channelLabel(channel) {
    return channel && STRINGS[S.lang]["channel_" + channel] ? t("channel_" + channel) : channel;
  }

  function undeliveredText(reason) {
    const key = "undelivered_" + reason;
    return STRINGS[S.lang][key] ? t(key) : t("undelivered_other", { reason });
  }

  function markUndelivered(messageId) {
    const node = $("log").querySelector('[data-id="' + CSS.escape(messageId) + '"]');
    if (!node || node.classList.contains("undelivered")) return;
    node.classList.add("undelivered");
    node.appendChild(el("span", "meta warn", t("notDelivered")));
  }

  function onUndelivered(frame) {
    const entry = S.convs.get(frame.conversation_id);
    if (entry) entry.undelivered.add(frame.message_id);
    if (S.selected === frame.conversation_id) markUndelivered(frame.message_id);
  }

  function attachmentNode(meta) {
    const url = "/api/files/" + encodeURIComponent(meta.file_id) + "?token=" + encodeURIComponent(S.token || "");
    const link = el("a", "attachment");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    if ((meta.content_type || "").startsWith("image/")) {
      const img = el("img");
      img.src = url;
      img.alt = meta.file_name || "";
      link.append(img);
    } else {
      link.textContent = "📎 " + (meta.file_name || "file");
    }
    return link;
  }

  function drawMessage(entry, msg) {
    const meta = msg.meta || {};
    const node = el("div", "msg " + msg.role + (meta.undelivered ? " note" : "") +
      (msg.internal && msg.role === "agent" ? " internal" : ""));
    node.dataset.seq = msg.seq;
    node.dataset.id = msg.id;
    if (msg.role !== "system") node.appendChild(el("span", "who", roleLabel(msg, entry)));
    node.appendChild(el("div", "bubble", meta.undelivered ? undeliveredText(meta.reason) : msg.text));
    if (meta.file_id) {
      const words = /^\[(image|file)\] /.test(msg.text) ? [] : [el("div", "caption", msg.text)];
      node.querySelector(".bubble").replaceChildren(attachmentNode(meta), ...words);
    }
    if (meta.pic_url && /^https?:/.test(meta.pic_url)) {
      const link = el("a", "attachment", t("picture"));
      link.href = meta.pic_url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      node.appendChild(link);
    }
    const time = new Date(msg.created_at);
    node.appendChild(el("span", "meta", isNaN(time) ? "" :
      time.toLocaleTimeString(S.lang === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" })));
    const log = $("log");
    const later = Array.from(log.children).find((n) => Number(n.dataset.seq) > msg.seq);
    log.insertBefore(node, later || null);
    if (!later) log.scrollTop = log.scrollHeight;
    if (meta.undelivered) entry.undelivered.add(meta.undelivered);
    if (entry.undelivered.has(msg.id)) markUndelivered(msg.id);
    if (meta.undelivered) markUndelivered(meta.undelivered);
  }

  function renderPane() {
    const entry = S.selected && S.convs.get(S.selected);
    $("pane-empty").hidden = !!entry;
    $("pane-body").hidden = !entry;
    if (!entry) return;
    $("pane-title").textContent = contactName(entry.name, entry.id);
    const held = entry.state === "assigned" && entry.heldSince;
    $("pane-state").textContent = paneState(entry);
    const open = entry.state === "assigned";
    ["hold", "transfer", "transfer-queue", "to-bot", "resolve", "reply"].forEach((id) => { $(id).disabled = !open; });
    $("hold").textContent = t(held ? "resume" : "hold");
    $("reply-form").querySelector("button[type=submit]").disabled = !open;
    $("note-mode").disabled = !open;
    $("attach").disabled = !open;
    renderAssist();
  }

  // ----- replying, transfer, resolve -------------------------------------------------------------
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = S.selected;
    const text = $("reply").value;
    if (!id || !text.trim()) return;
    if (!S.draft || S.draft.text !== text) S.draft = { text, clientId: newId() }; // a resend keeps its id
    const button = $("reply-form").querySelector("button[type=submit]");
    button.disabled = true;
    const asNote = $("note-mode").checked;
    typingSent = 0;
    try {
      const path = "/api/conversations/" + encodeURIComponent(id) + (asNote ? "/notes" : "/messages");
      const msg = await api("POST", path, asNote ? { text } : { text, client_id: S.draft.clientId });
      S.draft = null;
      if ($("reply").value === text) $("reply").value = "";
      clearAlert();
      if (S.selected === id) showMessage(S.convs.get(id), msg);
    } catch (e) {
      showAlert(e.message);
    } finally {
      renderPane();
      $("reply").focus();
    }
  });

  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  // ----- canned responses and notes --------------------------------------------------------------
  async function loadCanned() {
    try {
      [S.canned, S.wrapUps] = await Promise.all([api("GET", "/api/desk/canned"), api("GET", "/api/desk/wrap-up-codes")]);
    } catch (e) { S.canned = []; S.wrapUps = []; }
  }
  S.canned = [];
  S.wrapUps = [];
  window.HubCanned.attach($("reply"), $("canned-list"), () => S.canned,
    (item) => "/" + item.shortcut + " · " + item.title + " — " + item.text.slice(0, 80));

  // ----- typing: the customer sees the agent typing, and the other way round (at most every 3 s) ------
  let typingSent = 0;
  let typingTimer = null;
  $("reply").addEventListener("input", () => {
    const now = Date.now();
    if ($("note-mode").checked || !S.selected || !$("reply").value.trim() || now - typingSent < 3000) return;
    if (!S.ws || S.ws.readyState !== 1) return;
    typingSent = now;
    S.ws.send(JSON.stringify({ type: "typing", conversation_id: S.selected }));
  });

  function onTyping(frame) {
    if (frame.role !== "customer" || frame.conversation_id !== S.selected) return;
    $("typing").textContent = t("customerTyping");
    $("typing").hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { $("typing").hidden = true; }, 5000);
  }

  function renderNoteMode() {
    const send = $("reply-form").querySelector("button[type=submit]");
    send.dataset.i18n = $("note-mode").checked ? "addNote" : "send";
    send.textContent = t(send.dataset.i18n);
    $("reply-form").classList.toggle("as-note", $("note-mode").checked);
  }
  $("note-mode").addEventListener("change", () => { renderNoteMode(); $("reply").focus(); });

  // An attachment for the customer: uploaded first, then sent with whatever is in the reply box.
  $("attach").addEventListener("click", () => $("attach-file").click());
  $("attach-file").addEventListener("change", async () => {
    const file = $("attach-file").files[0];
    $("attach-file").value = "";
    const id = S.selected;
    if (!file || !id) return;
    try {
      const base = "/api/conversations/" + encodeURIComponent(id);
      const stored = await api("POST", base + "/files", file, { "x-file-name": encodeURIComponent(file.name) });
      const msg = await api("POST", base + "/messages", { text: $("reply").value, file_id: stored.id, client_id: newId() });
      $("reply").value = "";
      clearAlert();
      if (S.selected === id) showMessage(S.convs.get(id), msg);
    } catch (e) {
      showAlert(e.message);
    }
    $("reply").focus();
  });

  async function loadQueues() {
    try {
      const select = $("transfer-queue");
      const [queues, colleagues] = await Promise.all([api("GET", "/api/queues/"), api("GET", "/api/agent/colleagues")]);
      const keep = select.value;  // read now: what the agent picked while the lists loaded stays picked
      const byQueue = el("optgroup");
      byQueue.label = t("queuesGroup");
      queues.forEach((q) => byQueue.append(new Option(q.name, q.id)));
      const toAgent = el("optgroup");
      toAgent.label = t("agentsGroup");
      colleagues.forEach((c) => toAgent.append(new Option(c.name + " · " + t(c.state === "not_ready" ? "notReady"
        : c.state), "agent:" + c.id)));
      select.replaceChildren(select.options[0], byQueue);
      if (colleagues.length) select.append(toAgent);
      select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
    } catch (e) { /* transfers still go to the conversation's own queue */ }
  }
  $("transfer-queue").addEventListener("focus", loadQueues);  // colleagues' states change

  const pop = window.HubScreenPop.create({
    api, t, el, $, channelLabel, showAlert,
    wrapUpLabel: (code) => (S.wrapUps.find((w) => w.code === code) || { label: code }).label,
    roleLabel: (m) => (m.role === "customer" ? t("customer") : m.role === "agent" ? (m.author || t("agent"))
      : t(m.role)),
  });

  async function act(verb, body) {
    const id = S.selected;
    if (!id) return;
    try {
      upsertConv(await api("POST", "/api/conversations/" + encodeURIComponent(id) + "/" + verb, body));
      clearAlert();
      announce(t("state_" + S.convs.get(id).state));
    } catch (e) {
      showAlert(e.message);
    }
  }
  $("transfer").addEventListener("click", () => {
    const target = $("transfer-queue").value;
    if (target.startsWith("agent:")) return act("transfer", { agent_id: target.slice(6) });
    act("transfer", target ? { queue_id: target } : undefined);
  });
  $("to-bot").addEventListener("click", () => act("to-bot"));
  $("hold").addEventListener("click", async () => {
    const entry = S.selected && S.convs.get(S.selected);
    if (!entry) return;
    const verb = entry.heldSince ? "resume" : "hold";
    try {
      upsertConv(await api("POST", "/api/conversations/" + encodeURIComponent(entry.id) + "/" + verb));
      clearAlert();
      announce(t(verb === "hold" ? "heldAnnounce" : "resumedAnnounce"));
    } catch (e) {
      showAlert(e.message);
    }
  });
  $("resolve").addEventListener("click", () => {
    if (!S.wrapUps.length) return act("resolve");
    $("wrap-code").replaceChildren(...S.wrapUps.map((w) => new Option(w.label, w.code)));
    $("wrap-note").value = "";
    $("wrap-up").showModal();
  });
  $("wrap-cancel").addEventListener("click", () => $("wrap-up").close());
  $("wrap-up-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("wrap-up").close();
    act("resolve", { wrap_up_code: $("wrap-code").value, note: $("wrap-note").value.trim() || null });
  });

  // ----- alerts and keyboard shortcuts -----------------------------------------------------------
  function renderAlerts() {
    $("alerts").setAttribute("aria-pressed", String(window.HubAlerting.permitted()));
    $("alerts").textContent = t(window.HubAlerting.permitted() ? "alertsEnabled" : "alertsOn");
  }
  $("alerts").addEventListener("click", async () => {
    if (!(await window.HubAlerting.enable())) showAlert(t("alertsBlocked"));
    renderAlerts();
  });
  $("shortcuts").addEventListener("click", () => $("keys").showModal());

  function firstOffer(verb) {
    const node = S.offerNodes.values().next().value;
    if (node) node.querySelectorAll("button")[verb === "accept" ? 0 : 1].click();
  }

  function stepConversation(by) {
    const ids = [...S.convs.values()].filter((c) => c.state === "assigned").map((c) => c.id);
    if (!ids.length) return;
    const at = ids.indexOf(S.selected);
    select(ids[(at + by + ids.length) % ids.length]);
  }

  const KEYS = {  // by key position (event.code): Alt+letter types other characters on some layouts
    KeyA: () => firstOffer("accept"), KeyD: () => firstOffer("decline"), ArrowDown: () => stepConversation(1),
    ArrowUp: () => stepConversation(-1), KeyR: () => $("reply").focus(), KeyH: () => $("keys").showModal(),
    KeyN: () => { if (!$("note-mode").disabled) { $("note-mode").click(); } },
    KeyE: () => { if (!$("resolve").disabled) $("resolve").click(); },
    KeyP: () => { if (!$("hold").disabled) $("hold").click(); },
    KeyK: () => { if (!$("assist").hidden) $("kb-q").focus(); },
  };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || $("app").hidden) return;
    const action = KEYS[event.code];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // ----- language ----------------------------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    document.querySelectorAll("[data-i18n-label]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    $("lang").textContent = t("otherLang");
    $("lang").lang = S.lang === "zh" ? "en" : "zh-CN";
    document.title = t("title");
    for (const node of S.offerNodes.values()) node.remove();
    S.offerNodes.clear();
    const entry = S.selected && S.convs.get(S.selected);
    if (entry) {
      $("log").textContent = "";
      entry.shown.forEach((msg) => drawMessage(entry, msg));
    }
    if (S.me) {
      renderPresence();
      renderAlerts();
      renderOffers();
      renderConvs();
      renderPane();
      pop.relabel();
    }
  }

  $("lang").addEventListener("click", () => {
    S.lang = S.lang === "zh" ? "en" : "zh";
    try { localStorage.setItem(LANG_KEY, S.lang); } catch (e) { /* storage blocked */ }
    applyLang();
  });
  $("alert-close").addEventListener("click", clearAlert);

  start();
})();
