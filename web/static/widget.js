/* Contact hub chat widget. Embed with one tag: <script src="https://YOUR-HUB/widget.js"></script>
 *
 * Talks the web chat protocol over ws(s)://<hub>/ws/webchat: hello → welcome (token, history) and
 * status; message → ack or error; live message and status frames. The token is kept in localStorage
 * so a returning visitor resumes their conversation. All text goes through textContent.
 * API for the host page: window.HubChat.open(), .close(), .setLang("en" | "zh").
 */
(function () {
  "use strict";
  if (window.HubChat) return;

  const script = document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).find((s) => /\/widget\.js(\?|$)/.test(s.src));
  const ORIGIN = new URL(script ? script.src : location.href, location.href).origin;
  const WS_URL = ORIGIN.replace(/^http/, "ws") + "/ws/webchat";
  const TOKEN_KEY = "hubchat.token:" + ORIGIN;
  const LANG_KEY = "hub.lang";

  const STRINGS = {
    en: {
      launcher: "Chat with us", title: "Chat with us", close: "Close chat", otherLang: "中文",
      message: "Your message", placeholder: "Type your message…", send: "Send", sending: "Sending…",
      notSent: "Not sent", retry: "Retry", connecting: "Connecting…",
      reconnecting: "Connection lost — reconnecting…", expired: "Your earlier chat has expired; a new one has started.",
      empty: "Hello! Send us a message and we will get back to you.",
      bot: "You are chatting with our assistant", queued: "Waiting for an agent — position {n}",
      queuedNoPos: "Waiting for an agent", assigned: "You are chatting with {name}",
      assignedNoName: "You are chatting with an agent", resolved: "Conversation resolved",
      held: "{name} asked you to hold on — they will be right back",
      heldNoName: "Your agent asked you to hold on — they will be right back",
      you: "You", agent: "Agent", assistant: "Assistant", system: "Notice", unread: "{n} new",
      helpful: "Helpful", notHelpful: "Not helpful", thanks: "Thanks for your feedback",
      waitAbout: " (about {m} min)",
      surveyTitle: "How did we do?", star: "{n} of 5", surveyComment: "Anything to add? (optional)",
      surveySend: "Send rating", surveyThanks: "Thank you for rating us!", surveyPick: "Choose 1 to 5 stars first.",
      attach: "Attach a picture or file", uploading: "Sending {name}…", uploadFailed: "Could not send {name}: {why}",
      openFile: "Open {name}", agentTyping: "The agent is typing…",
    },
    zh: {
      launcher: "在线咨询", title: "在线客服", close: "关闭对话", otherLang: "English",
      message: "您的消息", placeholder: "请输入消息…", send: "发送", sending: "发送中…",
      notSent: "未发送", retry: "重试", connecting: "正在连接…",
      reconnecting: "连接已断开，正在重新连接…", expired: "之前的对话已过期，已为您开始新的对话。",
      empty: "您好！请留言，我们会尽快回复您。",
      bot: "您正在与智能助手对话", queued: "正在等待人工客服 — 您排在第 {n} 位",
      queuedNoPos: "正在等待人工客服", assigned: "您正在与 {name} 对话",
      assignedNoName: "您正在与人工客服对话", resolved: "对话已结束",
      held: "请稍候，{name}正在为您查询，马上回来", heldNoName: "请稍候，客服正在为您查询，马上回来",
      you: "我", agent: "客服", assistant: "智能助手", system: "提示", unread: "{n} 条新消息",
      helpful: "有帮助", notHelpful: "没帮助", thanks: "感谢您的反馈",
      waitAbout: "，预计等待约 {m} 分钟",
      surveyTitle: "请为本次服务评分", star: "{n} 分（满分 5 分）", surveyComment: "还有什么想告诉我们的？（选填）",
      surveySend: "提交评分", surveyThanks: "感谢您的评价！", surveyPick: "请先选择 1-5 星。",
      attach: "添加图片或文件", uploading: "正在发送 {name}…", uploadFailed: "{name} 发送失败：{why}", openFile: "打开 {name}",
      agentTyping: "客服正在输入…",
    },
  };

  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) {
      try { value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value); } catch (e) { /* blocked */ }
    },
  };

  function pickLang() {
    const saved = store.get(LANG_KEY);
    if (saved === "en" || saved === "zh") return saved;
    return /^zh\b/i.test(navigator.language || "") ? "zh" : "en";
  }

  const S = {
    lang: pickLang(), token: store.get(TOKEN_KEY), ws: null, ready: false, everReady: false,
    retry: 0, timer: null, ping: null, conv: null, seq: {}, gaps: {}, helloConv: null, helloAfter: 0,
    seen: new Set(), pending: new Map(), status: null, notice: "", unread: 0, isOpen: false,
  };

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

  // ----- the DOM, in a shadow root so the host page's styles neither leak in nor out -------------
  const CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
            "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
            "WenQuanYi Micro Hei", sans-serif; color: #1f2a2e; }
    button, textarea { font: inherit; color: inherit; }
    :focus-visible { outline: 2px solid #2b6cb0; outline-offset: 2px; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px;
                border: 0; border-radius: 50%; background: #2f6f68; color: #fff; cursor: pointer;
                box-shadow: 0 4px 14px rgba(0,0,0,.22); display: grid; place-items: center; }
    .launcher:hover { background: #27605a; }
    .launcher svg { width: 26px; height: 26px; }
    .badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 6px;
             border-radius: 10px; background: #c53030; color: #fff; font-size: 12px; line-height: 20px; }
    .panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: min(370px, calc(100vw - 24px));
             height: min(560px, calc(100vh - 108px)); display: flex; flex-direction: column; background: #fff;
             border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.22); overflow: hidden; }
    .panel[hidden], [hidden] { display: none !important; }
    header { display: flex; align-items: center; gap: 8px; padding: 12px 12px 12px 16px; background: #2f6f68; color: #fff; }
    h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
    header button { border: 1px solid rgba(255,255,255,.5); background: transparent; color: #fff; border-radius: 6px;
                    padding: 3px 9px; cursor: pointer; }
    header button:hover { background: rgba(255,255,255,.15); }
    header :focus-visible { outline-color: #fff; }
    .close { font-size: 18px; line-height: 1; padding: 3px 8px; }
    .status { margin: 0; padding: 7px 16px; background: #eef5f4; color: #2a4d49; font-size: 13px; border-bottom: 1px solid #dde9e7; }
    .notice { margin: 0; padding: 6px 16px; background: #fff8e6; color: #7a5400; font-size: 13px; }
    .log { flex: 1; overflow-y: auto; padding: 14px 12px; display: flex; flex-direction: column; gap: 8px; background: #fafbfb; }
    .log:focus-visible { outline-offset: -2px; }  /* inside: the panel's rounded, clipped edges would cut it off */
    .empty { color: #66767a; text-align: center; margin: auto 12px; }
    .msg { max-width: 82%; display: flex; flex-direction: column; }
    .msg .who { font-size: 12px; color: #66767a; margin: 0 4px 2px; }
    .msg .rate { display: flex; gap: 6px; margin: 4px 4px 0; font-size: 12px; color: #66767a; }
    .msg .rate button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #c9d3d6;
      border-radius: 12px; background: #fff; color: #33464b; cursor: pointer; }
    .msg .rate button:hover:not(:disabled) { background: #eef4f5; }
    .msg .rate button:disabled { opacity: .5; cursor: default; }
    .survey { align-self: stretch; margin: 4px 0; padding: 10px 12px; border: 1px solid #d8e0e2; border-radius: 12px;
              background: #fff; }
    .survey fieldset { border: 0; margin: 0; padding: 0; }
    .survey legend { font-weight: 600; margin-bottom: 6px; padding: 0; }
    .stars { display: flex; gap: 2px; }
    .stars input { position: absolute; opacity: 0; width: 1px; height: 1px; }
    .stars label { font-size: 26px; line-height: 1; color: #c9d3d6; cursor: pointer; padding: 0 2px; }
    .stars label.on { color: #e0a100; }
    .stars input:focus-visible + label { outline: 2px solid #2b6cb0; outline-offset: 1px; border-radius: 4px; }
    .survey textarea { width: 100%; margin-top: 8px; padding: 6px 8px; border: 1px solid #c9d3d6; border-radius: 8px;
                       resize: vertical; min-height: 44px; }
    .survey button { margin-top: 8px; border: 0; border-radius: 8px; padding: 6px 14px; background: #2f6f68;
                     color: #fff; cursor: pointer; }
    .survey .thanks { margin: 0; color: #2a4d49; }
    .attach { border: 0; background: transparent; color: #4b5f63; cursor: pointer; padding: 6px; border-radius: 8px;
              align-self: center; }
    .attach:hover { background: #eef4f5; }
    .attach svg { width: 20px; height: 20px; display: block; }
    img.attachment { display: block; max-width: 220px; max-height: 220px; border-radius: 8px; }
    .bubble:has(img.attachment) { padding: 3px; background: #fff; border: 1px solid #d8e0e2; white-space: normal;
                                  color: #1f2a2e; }
    .bubble .caption { padding: 4px 6px 2px; line-height: 1.45; }
    .typing { margin: 0; padding: 2px 16px 6px; font-size: 12px; color: #66767a; font-style: italic; background: #fafbfb; }
    a.attachment { color: inherit; }
    .bubble { padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .meta { font-size: 11px; color: #7b8a8e; margin: 2px 4px 0; }
    .customer { align-self: flex-end; align-items: flex-end; }
    .customer .bubble { background: #2f6f68; color: #fff; border-bottom-right-radius: 4px; }
    .agent, .bot { align-self: flex-start; }
    .agent .bubble { background: #fff; border: 1px solid #d8e0e2; border-bottom-left-radius: 4px; }
    .bot .bubble { background: #eef1f8; border: 1px solid #dbe1ef; border-bottom-left-radius: 4px; }
    .system { align-self: center; max-width: 92%; text-align: center; }
    .system .bubble { background: transparent; color: #5d6b6f; font-size: 12.5px; padding: 2px 6px; }
    .sending .bubble { opacity: .7; }
    .failed .bubble { background: #fbeaea; color: #7b1e1e; border: 1px solid #f0c4c4; }
    .failed .meta { color: #9b2c2c; }
    .retry { margin-left: 6px; border: 0; background: none; color: #2b6cb0; text-decoration: underline; cursor: pointer; padding: 0; font-size: 11px; }
    form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e8ea; background: #fff; align-items: flex-end; }
    textarea { flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 10px; border: 1px solid #c6d0d3;
               border-radius: 8px; background: #fff; }
    textarea:focus { border-color: #2f6f68; }
    textarea:focus-visible { outline-offset: 0; }
    .send { border: 0; border-radius: 8px; background: #2f6f68; color: #fff; padding: 9px 16px; cursor: pointer; }
    .send:hover { background: #27605a; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    @media (max-width: 480px) { .panel { right: 12px; bottom: 84px; } }
  `;

  const SKELETON = `
    <div class="root">
      <section class="panel" id="hubchat-panel" role="dialog" aria-labelledby="hubchat-title" hidden>
        <header>
          <h2 id="hubchat-title"></h2>
          <button type="button" class="lang"></button>
          <button type="button" class="close"><span aria-hidden="true">×</span></button>
        </header>
        <p class="status" role="status" hidden></p>
        <p class="notice" role="status" hidden></p>
        <div class="log" role="log" aria-live="polite" tabindex="0"><p class="empty"></p></div>
        <p class="typing" hidden></p>
        <form>
          <label class="sr" for="hubchat-input"></label>
          <input type="file" class="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
                 tabindex="-1" aria-hidden="true" hidden>
          <button type="button" class="attach"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5
            0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg></button>
          <textarea id="hubchat-input" rows="1" maxlength="4000"></textarea>
          <button type="submit" class="send"></button>
        </form>
      </section>
      <button type="button" class="launcher" aria-expanded="false" aria-controls="hubchat-panel">
        <svg class="chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"
             stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z"/></svg>
        <svg class="shut" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"
             aria-hidden="true" hidden><path d="M6 9l6 6 6-6"/></svg>
        <span class="badge" aria-hidden="true" hidden></span>
      </button>
    </div>`;

  const host = el("div");
  host.id = "hubchat";
  const shadow = host.attachShadow({ mode: "open" });
  const style = el("style");
  style.textContent = CSS;
  shadow.appendChild(style);
  const frame = el("div");
  frame.innerHTML = SKELETON; // constant markup only; every piece of text is set with textContent
  shadow.appendChild(frame.firstElementChild);
  const ui = {
    root: shadow.querySelector(".root"), panel: shadow.querySelector(".panel"),
    title: shadow.querySelector("h2"), lang: shadow.querySelector(".lang"), close: shadow.querySelector(".close"),
    status: shadow.querySelector(".status"), notice: shadow.querySelector(".notice"),
    log: shadow.querySelector(".log"), empty: shadow.querySelector(".empty"), form: shadow.querySelector("form"),
    label: shadow.querySelector("label"), input: shadow.querySelector("textarea"),
    attach: shadow.querySelector(".attach"), file: shadow.querySelector(".file"), typing: shadow.querySelector(".typing"),
    send: shadow.querySelector(".send"), launcher: shadow.querySelector(".launcher"),
    badge: shadow.querySelector(".badge"),
  };

  function applyLang() {
    ui.root.lang = S.lang === "zh" ? "zh-CN" : "en";
    ui.title.textContent = t("title");
    ui.lang.textContent = t("otherLang");
    ui.lang.lang = S.lang === "zh" ? "en" : "zh-CN";
    ui.close.setAttribute("aria-label", t("close"));
    ui.log.setAttribute("aria-label", t("title"));
    ui.empty.textContent = t("empty");
    ui.label.textContent = t("message");
    ui.input.placeholder = t("placeholder");
    ui.send.textContent = t("send");
    ui.attach.setAttribute("aria-label", t("attach"));
    ui.attach.title = t("attach");
    for (const entry of S.pending.values()) markEntry(entry);
    ui.log.querySelectorAll(".rate button").forEach((b) => {
      b.textContent = (b.classList.contains("rate-up") ? "👍 " : "👎 ") + t(b.dataset.label);
    });
    ui.log.querySelectorAll('.rate[data-label="thanks"]').forEach((row) => { row.textContent = t("thanks"); });
    ui.log.querySelectorAll(".survey").forEach(relabelSurvey);
    ui.log.querySelectorAll(".msg[data-role]").forEach((node) => {
      const who = node.querySelector(".who");
      if (who && !node.dataset.author) who.textContent = roleName(node.dataset.role);
      const meta = node.querySelector(".meta");
      if (!node.classList.contains("sending") && !node.classList.contains("failed")) {
        meta.textContent = timeOf(meta.dataset.time);
      }
    });
    renderStatus();
    renderLauncher();
  }

  // ----- transcript ------------------------------------------------------------------------------
  function roleName(role) {
    return { customer: t("you"), agent: t("agent"), bot: t("assistant"), system: t("system") }[role] || role;
  }

  function timeOf(iso) {
    const date = iso ? new Date(iso) : new Date();
    if (isNaN(date)) return "";
    return date.toLocaleTimeString(S.lang === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
  }

  function bubble(role, text, author, iso) {
    const node = el("div", "msg " + role);
    node.dataset.role = role;
    const who = el("span", role === "customer" ? "who sr" : "who", author || roleName(role));
    if (author) node.dataset.author = author;
    if (role !== "system") node.appendChild(who);
    node.appendChild(el("div", "bubble", text));
    const meta = el("span", "meta", timeOf(iso));
    meta.dataset.time = iso || new Date().toISOString();
    node.appendChild(meta);
    ui.empty.hidden = true;
    ui.log.appendChild(node);
    ui.log.scrollTop = ui.log.scrollHeight;
    return node;
  }

  // S.seq[conversation], what a reconnect asks history after, is the seq up to which every message came. Hub
  // processes may deliver two messages written at the same moment out of order, and internal notes never come
  // (their seqs stay gaps): a gap holds the cursor back for GAP_MS, then counts as settled.
  const GAP_MS = 5000;

  function noteSeq(conv, seq) {
    if (!seq || seq <= (S.seq[conv] || 0)) return;
    const gap = S.gaps[conv] || (S.gaps[conv] = { held: new Set(), since: Date.now() });
    gap.held.add(seq);
    settleSeq(conv);
  }

  function settleSeq(conv) {
    const gap = S.gaps[conv];
    if (!gap) return;
    let at = S.seq[conv] || 0;
    for (;;) {
      if (gap.held.delete(at + 1)) { at += 1; gap.since = Date.now(); continue; }
      if (!gap.held.size || Date.now() - gap.since < GAP_MS) break;
      at = Math.min(...gap.held) - 1; // settled: nothing more will fill it
    }
    S.seq[conv] = at;
    if (!gap.held.size) delete S.gaps[conv];
  }

  // A message that came after a later one of its conversation (see GAP_MS) goes before it on the page. The
  // walk back passes what is not a stored message (a survey, a bubble still sending) and stops at another
  // conversation's.
  function markSeq(node, msg) {
    if (!msg.seq) return;
    node.dataset.conv = msg.conversation_id;
    node.dataset.seq = String(msg.seq);
  }

  function placeInOrder(node, msg) {
    markSeq(node, msg);
    if (!msg.seq) return;
    let before = null;
    for (let other = node.previousElementSibling; other; other = other.previousElementSibling) {
      if (!other.dataset.conv) continue;
      if (other.dataset.conv !== msg.conversation_id || Number(other.dataset.seq) < msg.seq) break;
      before = other;
    }
    if (before) ui.log.insertBefore(node, before);
  }

  function addMessage(msg, live) {
    if (S.seen.has(msg.id)) return;
    S.seen.add(msg.id);
    noteSeq(msg.conversation_id, msg.seq);
    if (msg.role === "customer" && adoptEcho(msg)) return;
    const node = bubble(msg.role, msg.text, msg.role === "agent" ? msg.author : null, msg.created_at);
    placeInOrder(node, msg);
    showAttachment(node, msg);
    if (msg.role === "bot" && msg.source && msg.source.includes("@")) addRating(node, msg.id);
    if (live && !S.isOpen && msg.role !== "customer") { S.unread += 1; renderLauncher(); }
  }

  // A bot answer from the knowledge base can be rated; "not helpful" brings a person in.
  function addRating(node, messageId) {
    const row = el("div", "rate");
    row.dataset.message = messageId;
    [["up", "helpful", true], ["down", "notHelpful", false]].forEach(([cls, key, helpful]) => {
      const button = el("button", "rate-" + cls, (helpful ? "👍 " : "👎 ") + t(key));
      button.type = "button";
      button.dataset.label = key;
      button.addEventListener("click", () => {
        if (!S.ws || S.ws.readyState !== WebSocket.OPEN) return;
        holdFocus(row);
        row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
        S.ws.send(JSON.stringify({ type: "feedback", message_id: messageId, helpful }));
      });
      row.appendChild(button);
    });
    node.appendChild(row);
  }

  // The button with the focus is about to be disabled, then replaced by a thank-you: the focus stays with what
  // holds it, so a keyboard user goes on from here (not from the top of the page) and a screen reader reads the thanks.
  function holdFocus(box) {
    if (!box.contains(shadow.activeElement)) return;
    box.tabIndex = -1;
    box.focus();
  }

  function onRated(frame) {
    const row = Array.from(ui.log.querySelectorAll(".rate")).find((r) => r.dataset.message === frame.message_id);
    if (!row) return;
    row.textContent = t("thanks");
    row.dataset.label = "thanks";
  }

  // Our own message comes back (live, or in a welcome's history) with its client_id; an echo without one
  // (a message stored before the hub kept client ids) is matched to a pending one by text.
  function adoptEcho(msg) {
    const mine = msg.client_id && S.pending.get(msg.client_id);
    if (mine) { settle(mine, msg.id); markSeq(mine.node, msg); showAttachment(mine.node, msg); return true; }
    for (const entry of S.pending.values()) {
      if (!entry.failed && entry.text === msg.text) { settle(entry, msg.id); markSeq(entry.node, msg); return true; }
    }
    return false;
  }

  // ----- sending ---------------------------------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function markEntry(entry) {
    entry.node.classList.toggle("sending", !entry.failed);
    entry.node.classList.toggle("failed", !!entry.failed);
    const meta = entry.node.querySelector(".meta");
    meta.textContent = entry.failed ? t("notSent") + (entry.detail ? ": " + entry.detail : "") : t("sending");
    if (entry.failed) {
      const retry = el("button", "retry", t("retry"));
      retry.type = "button";
      retry.addEventListener("click", () => { entry.failed = false; markEntry(entry); sendSay(entry); ui.input.focus(); });
      meta.appendChild(retry);
    }
  }

  function settle(entry, id) {
    S.pending.delete(entry.clientId);
    if (id) S.seen.add(id);
    entry.node.classList.remove("sending", "failed");
    const meta = entry.node.querySelector(".meta");
    meta.textContent = timeOf(meta.dataset.time);
  }

  // ----- attachments: uploaded over HTTP with the session's token, then sent as a message's file_id ------
  function fileUrl(id) {
    return ORIGIN + "/api/files/" + encodeURIComponent(id) + "?token=" + encodeURIComponent(S.token || "");
  }

  function showAttachment(node, msg) {
    const meta = msg.meta || {};
    if (!meta.file_id || node.querySelector(".attachment")) return;
    const box = node.querySelector(".bubble");
    let shown;
    if ((meta.content_type || "").startsWith("image/")) {
      shown = el("img", "attachment");
      shown.src = fileUrl(meta.file_id);
      shown.alt = meta.file_name || "";
    } else {
      shown = el("a", "attachment", "📎 " + (meta.file_name || "file"));
      shown.href = fileUrl(meta.file_id);
      shown.target = "_blank";
      shown.rel = "noopener";
      shown.setAttribute("aria-label", t("openFile", { name: meta.file_name || "" }));
    }
    const words = /^\[(image|file)\] /.test(msg.text || "") ? null : el("div", "caption", msg.text);
    box.replaceChildren(...(words ? [shown, words] : [shown]));
  }

  async function upload(file) {
    setNotice(t("uploading", { name: file.name }));
    try {
      const response = await fetch(ORIGIN + "/api/webchat/files", {
        method: "POST", body: file,
        headers: { "x-chat-token": S.token || "", "x-file-name": encodeURIComponent(file.name) } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.detail || response.statusText);
      setNotice("");
      const entry = { clientId: newId(), text: "", fileId: body.id, failed: false,
        node: bubble("customer", "📎 " + body.name) };
      // shown at once: the ack may come before the echo, which is then ignored as already seen
      showAttachment(entry.node, { text: "", meta: { file_id: body.id, file_name: body.name,
        content_type: body.content_type } });
      S.pending.set(entry.clientId, entry);
      markEntry(entry);
      sendSay(entry);
    } catch (e) {
      setNotice(t("uploadFailed", { name: file.name, why: e.message }));
    }
  }

  function submit(text) {
    typingSent = 0;  // a new message: the next keystroke says "typing" again at once
    const entry = { clientId: newId(), text: text, failed: false, node: bubble("customer", text) };
    S.pending.set(entry.clientId, entry);
    markEntry(entry);
    if (S.ready) sendSay(entry);
    else connect();
  }

  function sendSay(entry) {
    const frame = { type: "message", client_id: entry.clientId, text: entry.text };
    if (entry.fileId) frame.file_id = entry.fileId;
    if (S.ready && S.ws) S.ws.send(JSON.stringify(frame));
  }

  // ----- the socket ------------------------------------------------------------------------------
  function connect() {
    clearTimeout(S.timer);
    if (S.ws) return;
    setNotice(S.everReady ? t("reconnecting") : "");
    let ws;
    try { ws = new WebSocket(WS_URL); } catch (e) { reconnectLater(); return; }
    S.ws = ws;
    ws.onopen = () => hello();
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = () => {
      if (S.ws !== ws) return;
      S.ws = null;
      S.ready = false;
      clearInterval(S.ping);
      setNotice(S.everReady ? t("reconnecting") : t("connecting"));
      reconnectLater();
    };
  }

  function reconnectLater() {
    const delay = Math.min(30000, 1000 * Math.pow(2, S.retry)) * (0.6 + Math.random() * 0.4);
    S.retry = Math.min(S.retry + 1, 6);
    clearTimeout(S.timer);
    S.timer = setTimeout(connect, delay);
  }

  function hello() {
    S.helloConv = S.token ? S.conv : null;
    if (S.conv) settleSeq(S.conv);
    S.helloAfter = S.token && S.conv ? S.seq[S.conv] || 0 : 0;
    S.ws.send(JSON.stringify({
      type: "hello", token: S.token || null, locale: S.lang === "zh" ? "zh-CN" : "en", after_seq: S.helloAfter,
    }));
  }

  function handle(frame) {
    switch (frame.type) {
      case "welcome": return onWelcome(frame);
      case "message": hideTyping(); return addMessage(frame, true);
      case "typing": return onTyping(frame);
      case "status": return onStatus(frame);
      case "ack": return onAck(frame);
      case "error": return onError(frame);
      case "feedback_received": return onRated(frame);
      case "survey_received": return onSurveyed(frame);
      case "moved": return onMoved(frame);
      default: return undefined; // pong
    }
  }

  function onWelcome(frame) {
    S.token = frame.token;
    store.set(TOKEN_KEY, frame.token);
    if (S.helloAfter > 0 && frame.conversation_id !== S.helloConv) {
      // A different conversation than the one our after_seq counted: read this one from its start.
      S.conv = frame.conversation_id;
      S.seq[S.conv] = 0;
      delete S.gaps[S.conv];
      S.ws.close();
      return;
    }
    S.conv = frame.conversation_id;
    S.ready = true;
    S.everReady = true;
    S.retry = 0;
    setNotice("");
    (frame.history || []).forEach((msg) => addMessage(msg, false));
    for (const entry of S.pending.values()) if (!entry.failed) sendSay(entry);
    clearInterval(S.ping);
    S.ping = setInterval(() => { if (S.ready) S.ws.send('{"type":"ping"}'); }, 25000);
  }

  // Another tab or device of this customer began a new conversation after ours was resolved: follow it
  // (the hello after reconnecting brings its history from the start).
  function onMoved(frame) {
    if (frame.conversation_id === S.conv || !S.ws) return;
    S.conv = frame.conversation_id;
    S.seq[S.conv] = S.seq[S.conv] || 0;
    S.retry = 0;
    S.ws.close();
  }

  function onAck(frame) {
    if (frame.conversation_id) S.conv = frame.conversation_id;
    const entry = S.pending.get(frame.client_id);
    if (entry) settle(entry, frame.id);
  }

  function onError(frame) {
    if (frame.code === "unknown_message" || frame.code === "rate_limited") {  // a rating that did not go through
      ui.log.querySelectorAll(".rate button:disabled, .survey button:disabled").forEach((b) => { b.disabled = false; });
    }
    if (frame.code === "already_rated" && S.conv) onSurveyed({ conversation_id: S.conv });
    const entry = frame.client_id ? S.pending.get(frame.client_id) : null;
    if (entry) {
      entry.failed = true;
      entry.detail = frame.detail;
      markEntry(entry);
    } else if (!S.ready && frame.code === "unknown_token") {
      S.token = null;
      store.set(TOKEN_KEY, null);
      S.conv = null;
      S.seq = {};
      S.gaps = {};
      S.status = null;
      const mine = new Set(Array.from(S.pending.values(), (e) => e.node));
      ui.log.querySelectorAll(".msg").forEach((node) => { if (!mine.has(node)) node.remove(); });
      setNotice(t("expired"));
      hello();
    } else if (!S.ready && S.ws) {
      setNotice(frame.detail); // the hello failed for another reason: try again later
      S.ws.close();
    } else {
      setNotice(frame.detail);
    }
  }

  function onStatus(frame) {
    if (S.conv && frame.conversation_id !== S.conv) return;
    S.status = frame;
    renderStatus();
    if (frame.state === "resolved" && frame.csat == null) showSurvey(frame.conversation_id);
  }

  // ----- the satisfaction survey, once the conversation is resolved ------------------------------
  function showSurvey(conversationId) {
    if (ui.log.querySelector('.survey[data-conversation="' + conversationId + '"]')) return;
    const form = el("form", "survey");
    form.dataset.conversation = conversationId;
    const set = el("fieldset");
    set.appendChild(el("legend", null, t("surveyTitle")));
    const stars = el("div", "stars");
    for (let n = 1; n <= 5; n++) {
      const input = el("input");
      Object.assign(input, { type: "radio", name: "rating", value: String(n), id: "rating-" + conversationId + "-" + n });
      const label = el("label", null, "★");
      label.htmlFor = input.id;
      label.setAttribute("aria-label", t("star", { n }));
      input.addEventListener("change", () => paintStars(stars, n));
      stars.append(input, label);
    }
    const comment = el("textarea");
    comment.setAttribute("aria-label", t("surveyComment"));
    comment.placeholder = t("surveyComment");
    comment.maxLength = 1000;
    const send = el("button", null, t("surveySend"));
    send.type = "submit";
    set.append(stars, comment, send);
    form.appendChild(set);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = form.querySelector("input[name=rating]:checked");
      if (!picked) return setNotice(t("surveyPick"));
      if (!S.ws || S.ws.readyState !== WebSocket.OPEN) return;
      holdFocus(form);
      send.disabled = true;
      setNotice("");
      S.ws.send(JSON.stringify({ type: "survey", rating: Number(picked.value), comment: comment.value.trim() || null }));
    });
    ui.empty.hidden = true;
    ui.log.appendChild(form);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function relabelSurvey(form) {
    const thanks = form.querySelector(".thanks");
    if (thanks) { thanks.textContent = t("surveyThanks"); return; }
    form.querySelector("legend").textContent = t("surveyTitle");
    form.querySelectorAll(".stars label").forEach((label, i) => label.setAttribute("aria-label", t("star", { n: i + 1 })));
    const comment = form.querySelector("textarea");
    comment.setAttribute("aria-label", t("surveyComment"));
    comment.placeholder = t("surveyComment");
    form.querySelector("button").textContent = t("surveySend");
  }

  function paintStars(stars, n) {
    stars.querySelectorAll("label").forEach((label, i) => label.classList.toggle("on", i < n));
  }

  function onSurveyed(frame) {
    const form = ui.log.querySelector('.survey[data-conversation="' + frame.conversation_id + '"]');
    if (!form) return;
    form.replaceChildren(el("p", "thanks", t("surveyThanks")));
  }

  function renderStatus() {
    const st = S.status;
    let text = "";
    if (st && st.state === "queued") {
      text = st.queue_position ? t("queued", { n: st.queue_position }) : t("queuedNoPos");
      if (st.estimated_wait_s) text += t("waitAbout", { m: Math.max(1, Math.round(st.estimated_wait_s / 60)) });
    }
    else if (st && st.state === "assigned" && st.on_hold) text = st.agent ? t("held", { name: st.agent }) : t("heldNoName");
    else if (st && st.state === "assigned") text = st.agent ? t("assigned", { name: st.agent }) : t("assignedNoName");
    else if (st && st.state === "resolved") text = t("resolved");
    else if (st && st.state === "bot") text = t("bot");
    ui.status.textContent = text;
    ui.status.hidden = !text;
  }

  function setNotice(text) {
    S.notice = text;
    ui.notice.textContent = text;
    ui.notice.hidden = !text;
  }

  // ----- open, close, language -------------------------------------------------------------------
  function renderLauncher() {
    shadow.querySelector(".chat").toggleAttribute("hidden", S.isOpen);
    shadow.querySelector(".shut").toggleAttribute("hidden", !S.isOpen);
    ui.badge.hidden = S.unread === 0;
    ui.badge.textContent = String(S.unread);
    const label = t("launcher") + (S.unread ? " (" + t("unread", { n: S.unread }) + ")" : "");
    ui.launcher.setAttribute("aria-label", label);
    ui.launcher.title = t("launcher");
  }

  function open() {
    S.isOpen = true;
    S.unread = 0;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    renderLauncher();
    connect();
    ui.log.scrollTop = ui.log.scrollHeight;
    ui.input.focus();
  }

  function close() {
    S.isOpen = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    renderLauncher();
    ui.launcher.focus();
  }

  function setLang(lang) {
    if (!STRINGS[lang]) return;
    S.lang = lang;
    store.set(LANG_KEY, lang);
    applyLang();
  }

  ui.launcher.addEventListener("click", () => (S.isOpen ? close() : open()));
  ui.close.addEventListener("click", close);
  ui.lang.addEventListener("click", () => setLang(S.lang === "zh" ? "en" : "zh"));
  ui.panel.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  ui.attach.addEventListener("click", () => ui.file.click());
  ui.file.addEventListener("change", () => {
    const file = ui.file.files && ui.file.files[0];
    ui.file.value = "";
    if (file && S.token) upload(file);
    ui.input.focus();
  });

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = "";
    submit(text);
    ui.input.focus();
  });
  // ----- typing: each side sees the other typing; sent at most every 3 s, shown for 5 s -------------
  let typingSent = 0;
  let typingTimer = null;
  ui.input.addEventListener("input", () => {
    const now = Date.now();
    if (!ui.input.value.trim() || !S.ready || !S.ws || now - typingSent < 3000) return;
    typingSent = now;
    S.ws.send('{"type":"typing"}');
  });

  function onTyping(frame) {
    if (frame.role !== "agent" || (S.conv && frame.conversation_id !== S.conv)) return;
    ui.typing.textContent = t("agentTyping");
    ui.typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 5000);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    ui.typing.hidden = true;
  }

  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  window.addEventListener("online", () => { if (!S.ws && (S.everReady || S.pending.size)) connect(); });

  applyLang();
  function mount() {
    document.body.appendChild(host);
    if (S.token) connect(); // a returning visitor: resume, and count what arrives while closed
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.HubChat = { open: open, close: close, setLang: setLang };
})();
