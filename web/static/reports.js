/* Supervisor reports: the figures of a period (GET /api/reports), summary tiles, a stacked bar chart of contacts
 * per hour by channel, the satisfaction distribution, the agents' table, and the CSV (GET /api/reports/csv).
 *
 * The page asks for the first and the last day (both included); the API takes [from, to), so `to` is the day
 * after the last. Charts are inline SVG drawn here, at the width they are shown; each has a summary as its
 * aria-label and its data in a visually hidden table. Signed in with the wallboard's session (same tab), as
 * the wallboard links here. All text goes through textContent.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "hub.wallboard.token";
  const STRINGS = {
    en: {
      title: "Reports", otherLang: "中文", signOut: "Sign out", dismiss: "Dismiss", signIn: "Sign in",
      username: "Username", password: "Password", wallboard: "Wallboard", period: "Period", firstDay: "First day",
      lastDay: "Last day", timeZone: "Time zone", show: "Show", downloadCsv: "Download CSV",
      periodHelp: "Both days are included; up to 92 days.", summary: "Summary", perHour: "Contacts per hour",
      satisfaction: "Satisfaction", agents: "Agents", agent: "Agent", handled: "Handled", aht: "Average handle time",
      noAgents: "No agent resolved a conversation in this period.", none: "—",
      holdShort: "Avg hold", heldN: "{n} put on hold",
      contacts: "Contacts", ahtShort: "Avg handle time", frt: "Avg first response", abandonRate: "Abandon rate", containment: "Bot containment",
      csat: "Satisfaction", inDays: "over {n} days", inDay: "in 1 day", handledN: "{n} handled by agents",
      respondedN: "{n} first responses", ofQueued: "{n} of {of} queued", ofSpoke: "{n} of {of} conversations",
      ratedN: "{n} rated", outOf5: "{avg} / 5",
      webchat: "Web chat", wechat: "WeChat", email: "Email", voice: "Voice", total: "Total",
      hourAxis: "Hour of day ({tz})", countAxis: "Contacts", hour: "Hour", scoreAxis: "Rating (stars)",
      ratedAxis: "Conversations", score: "Rating", stars: "{n} stars", star: "1 star",
      hourlySummary: "Contacts per hour by channel: {n} in all, busiest hour {peak} with {peakN}.",
      hourlyEmpty: "Contacts per hour: none in this period.",
      csatSummary: "Satisfaction ratings: {parts}.", csatEmpty: "Satisfaction: no ratings in this period.",
      noContacts: "No contacts in this period.", noRatings: "No customer rated a conversation in this period.",
      hourlyCaption: "Contacts per hour by channel", csatCaption: "Conversations per rating",
      seconds: "{n} s", minutes: "{m} min {s} s", hours: "{h} h {m} min", updated: "Report updated.",
      downloading: "Preparing the CSV…",
      forbidden: "Reports are for supervisors and admins.", network: "Cannot reach the hub; check your connection.",
      sessionEnded: "Your session has ended; please sign in again.",
      bad_range: "The last day must not be before the first day.", range_too_long: "Choose at most 92 days.",
      bad_date: "Enter both days as dates.", bad_timezone: "Choose a time zone from the list.",
      zone_UTC: "UTC", "zone_Asia/Shanghai": "Asia/Shanghai (China)",
    },
    zh: {
      title: "统计报表", otherLang: "English", signOut: "退出登录", dismiss: "关闭", signIn: "登录",
      username: "用户名", password: "密码", wallboard: "实时监控", period: "统计周期", firstDay: "开始日期",
      lastDay: "结束日期", timeZone: "时区", show: "查询", downloadCsv: "下载 CSV",
      periodHelp: "包含开始和结束两天；最长 92 天。", summary: "汇总", perHour: "每小时进线量",
      satisfaction: "满意度", agents: "坐席", agent: "坐席", handled: "处理量", aht: "平均处理时长",
      noAgents: "此期间没有坐席解决会话。", none: "—",
      holdShort: "平均保持时长", heldN: "保持过 {n} 个",
      contacts: "进线量", ahtShort: "平均处理时长", frt: "平均首次响应", abandonRate: "放弃率", containment: "机器人解决率",
      csat: "满意度", inDays: "共 {n} 天", inDay: "共 1 天", handledN: "坐席处理 {n} 个",
      respondedN: "{n} 次首次响应", ofQueued: "排队 {of} 个中放弃 {n} 个", ofSpoke: "{of} 个会话中 {n} 个",
      ratedN: "{n} 个评价", outOf5: "{avg} / 5",
      webchat: "网页聊天", wechat: "微信", email: "邮件", voice: "语音", total: "合计",
      hourAxis: "时段（{tz}）", countAxis: "进线量", hour: "时段", scoreAxis: "评分（星）",
      ratedAxis: "会话数", score: "评分", stars: "{n} 星", star: "1 星",
      hourlySummary: "各渠道每小时进线量：共 {n} 个，最忙时段 {peak}，{peakN} 个。",
      hourlyEmpty: "每小时进线量：此期间没有进线。",
      csatSummary: "满意度评分：{parts}。", csatEmpty: "满意度：此期间没有评价。",
      noContacts: "此期间没有进线。", noRatings: "此期间没有客户评价。",
      hourlyCaption: "各渠道每小时进线量", csatCaption: "各评分的会话数",
      seconds: "{n} 秒", minutes: "{m} 分 {s} 秒", hours: "{h} 小时 {m} 分", updated: "报表已更新。",
      downloading: "正在生成 CSV…",
      forbidden: "统计报表仅供班长和管理员使用。", network: "无法连接到服务器，请检查网络。",
      sessionEnded: "登录已失效，请重新登录。",
      bad_range: "结束日期不能早于开始日期。", range_too_long: "最多选择 92 天。",
      bad_date: "请填写开始日期和结束日期。", bad_timezone: "请从列表中选择时区。",
      zone_UTC: "UTC（协调世界时）", "zone_Asia/Shanghai": "Asia/Shanghai（北京时间）",
    },
  };
  const ZONES = ["UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                 "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles"];
  const COLORS = { webchat: "#2f6f68", wechat: "#5aa63c", email: "#c98a2b", voice: "#5867b0" };
  const SCORE_COLORS = ["#c0504d", "#dd8043", "#d9b13b", "#8cb85c", "#3f9360"];
  const SVG = "http://www.w3.org/2000/svg";

  const S = { report: null, resizeTimer: null };
  const P = HubStaff.page({ tokenKey: TOKEN_KEY, strings: STRINGS, start, render: () => { fillZones(); render(); },
                            explain: (e) => (STRINGS.en[e.code] ? t(e.code) : e.detail || String(e)) });
  const { t, el, $, api } = P;

  // ----- dates, durations, rates ------------------------------------------------------------------------
  function todayIn(zone) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date());
    const part = (type) => parts.find((p) => p.type === type).value;
    return part("year") + "-" + part("month") + "-" + part("day");
  }
  function addDays(day, n) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function duration(seconds) {
    if (seconds == null) return t("none");
    if (seconds < 10) return t("seconds", { n: Math.round(seconds * 10) / 10 });
    const s = Math.round(seconds);
    if (s < 60) return t("seconds", { n: s });
    if (s < 3600) return t("minutes", { m: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
    return t("hours", { h: Math.floor(s / 3600), m: String(Math.floor(s / 60) % 60).padStart(2, "0") });
  }
  function percent(rate) { return rate == null ? t("none") : Math.round(rate * 1000) / 10 + "%"; }
  function hourLabel(hour) { return String(hour).padStart(2, "0") + ":00"; }

  // ----- the period --------------------------------------------------------------------------------------
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }
  function fillZones() {
    const select = $("tz");
    const chosen = select.value;
    const zones = [...new Set([browserZone(), ...ZONES, chosen].filter(Boolean))];
    select.replaceChildren(...zones.map((zone) => {
      const option = el("option", null, STRINGS.en["zone_" + zone] ? t("zone_" + zone) : zone);
      option.value = zone;
      return option;
    }));
    select.value = chosen || browserZone();
  }
  function initialPeriod() {
    const asked = new URLSearchParams(location.search);
    fillZones();
    if (asked.get("tz")) { $("tz").value = asked.get("tz"); if (!$("tz").value) fillZonesWith(asked.get("tz")); }
    const today = todayIn($("tz").value);
    $("first-day").value = asked.get("from") || addDays(today, -6);
    $("last-day").value = asked.get("to") ? addDays(asked.get("to"), -1) : today;
  }
  function fillZonesWith(zone) {
    const option = el("option", null, zone);
    option.value = zone;
    $("tz").append(option);
    $("tz").value = zone;
  }
  function query() {
    return new URLSearchParams({ from: $("first-day").value, to: addDays($("last-day").value, 1), tz: $("tz").value }).toString();
  }
  /* The CSV of the report on show (not of dates changed since), with headings in the page's language. */
  function csvQuery(r) { return new URLSearchParams({ from: r.from, to: r.to, tz: r.tz, lang: P.lang }).toString(); }

  async function start() {
    if (!$("first-day").value) initialPeriod();
    await load(false);
  }
  async function load(announce) {
    if (!$("first-day").value || !$("last-day").value) return P.showAlert(t("bad_date"));
    let report;
    try {
      report = await api("GET", "/api/reports?" + query());
    } catch (e) {
      if (e.status === 400) P.showBoard();  // the period form stays usable to correct it
      return P.failed(e);
    }
    S.report = report;
    P.showBoard();
    history.replaceState(null, "", "?" + query());
    render();
    if (announce) $("announce").textContent = t("updated");
  }
  $("period").addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });

  // ----- the CSV: fetched with the token, then saved from a blob -----------------------------------------------
  $("csv").addEventListener("click", async (ev) => {
    ev.preventDefault();
    if (!S.report) return;
    $("announce").textContent = t("downloading");
    let res;
    try {
      res = await fetch("/api/reports/csv?" + csvQuery(S.report), { headers: { authorization: "Bearer " + P.token } });
    } catch (e) { return P.failed({ code: "network", detail: t("network") }); }
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      return P.failed({ status: res.status, code: body.code, detail: body.detail || res.statusText });
    }
    const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") || "");
    save(await res.blob(), name ? name[1] : "report.csv");
  });
  function save(blob, name) {
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ----- rendering -----------------------------------------------------------------------------------------
  function render() {
    const r = S.report;
    if (!r || $("board").hidden) return;
    $("csv").href = "/api/reports/csv?" + csvQuery(r);
    renderTiles(r);
    renderLegend(r);
    drawHourly(r);
    drawSatisfaction(r);
    renderAgents(r);
  }

  function tile(label, value, sub) {
    const item = el("li", "tile");
    item.append(el("span", "label", label), el("strong", "value", value), el("span", "sub", sub));
    return item;
  }
  function renderTiles(r) {
    const days = Math.round((Date.parse(r.to) - Date.parse(r.from)) / 86400000);
    const csat = r.satisfaction;
    $("tiles").replaceChildren(
      tile(t("contacts"), String(r.contacts), days === 1 ? t("inDay") : t("inDays", { n: days })),
      tile(t("ahtShort"), duration(r.handle_time.average_s), t("handledN", { n: r.handle_time.count })),
      tile(t("holdShort"), duration(r.hold_time.average_s), t("heldN", { n: r.hold_time.count })),
      tile(t("frt"), duration(r.first_response.average_s), t("respondedN", { n: r.first_response.count })),
      tile(t("abandonRate"), percent(r.abandon.rate), t("ofQueued", { n: r.abandon.count, of: r.abandon.of })),
      tile(t("containment"), percent(r.containment.rate), t("ofSpoke", { n: r.containment.count, of: r.containment.of })),
      tile(t("csat"), csat.average == null ? t("none") : t("outOf5", { avg: csat.average.toFixed(1) }),
           t("ratedN", { n: csat.rated })));
  }
  function renderLegend(r) {
    $("legend").replaceChildren(...r.channels.map((ch) => {
      const item = el("li", null, t(ch));
      const swatch = el("span", "swatch");
      swatch.style.background = COLORS[ch] || "#888";
      item.prepend(swatch);
      return item;
    }));
  }
  function renderAgents(r) {
    const body = $("agents").tBodies[0];
    body.replaceChildren(...r.agents.map((a) => {
      const row = el("tr");
      const name = el("th", null, a.name); name.scope = "row";
      row.append(name, el("td", "num", String(a.handled)), el("td", "num", duration(a.average_handle_s)));
      return row;
    }));
    $("agents-empty").hidden = r.agents.length > 0;
    $("agents").hidden = r.agents.length === 0;
  }

  // ----- charts: inline SVG ---------------------------------------------------------------------------------
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text != null) node.textContent = text;
    return node;
  }
  function niceMax(max) {
    if (max <= 4) return 4;
    const step = niceStep(max / 4);
    return Math.ceil(max / step) * step;
  }
  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const unit = [1, 2, 5, 10].find((m) => m * power >= raw);
    return Math.max(1, unit * power);
  }
  /* An empty chart frame: y grid and labels, axis titles. Returns the plot area's geometry and the svg. */
  function frame(box, yMax, xTitle, yTitle, label) {
    const width = Math.max(300, Math.floor(box.clientWidth || 600));
    const height = 260;
    const m = { top: 14, right: 12, bottom: 52, left: 56 };
    const plot = { x: m.left, y: m.top, w: width - m.left - m.right, h: height - m.top - m.bottom };
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
    const step = niceStep(yMax / 4);
    for (let v = 0; v <= yMax; v += step) {
      const y = plot.y + plot.h - (v / yMax) * plot.h;
      root.append(svg("line", { x1: plot.x, x2: plot.x + plot.w, y1: y, y2: y, class: v ? "grid-line" : "axis-line" }));
      root.append(svg("text", { x: plot.x - 8, y: y + 4, "text-anchor": "end", class: "tick" }, String(v)));
    }
    root.append(svg("text", { x: plot.x + plot.w / 2, y: height - 8, "text-anchor": "middle", class: "axis-title" }, xTitle));
    root.append(svg("text", { x: 0, y: 0, "text-anchor": "middle", class: "axis-title",
                              transform: `translate(16 ${plot.y + plot.h / 2}) rotate(-90)` }, yTitle));
    return { root, plot, scale: (v) => (v / yMax) * plot.h };
  }
  function bar(root, x, y, w, h, color, tip) {
    const rect = svg("rect", { x, y, width: w, height: Math.max(0, h), fill: color, rx: 1.5 });
    rect.append(svg("title", null, tip));
    root.append(rect);
  }
  function xLabel(root, plot, x, text) {
    root.append(svg("text", { x, y: plot.y + plot.h + 18, "text-anchor": "middle", class: "tick" }, text));
  }

  function hourlyLabel(r) {
    if (!r.contacts) return t("hourlyEmpty");
    const peak = r.contacts_per_hour.reduce((a, b) => (b.total > a.total ? b : a));
    return t("hourlySummary", { n: r.contacts, peak: hourLabel(peak.hour), peakN: peak.total });
  }
  function drawHourly(r) {
    const box = $("hourly-chart");
    const yMax = niceMax(Math.max(0, ...r.contacts_per_hour.map((h) => h.total)));
    const { root, plot, scale } = frame(box, yMax, t("hourAxis", { tz: r.tz }), t("countAxis"), hourlyLabel(r));
    const band = plot.w / 24;
    const every = band >= 30 ? 1 : band >= 16 ? 2 : 3;
    for (const h of r.contacts_per_hour) {
      const x = plot.x + h.hour * band + band * 0.15;
      let top = plot.y + plot.h;
      for (const ch of r.channels) {
        const n = h.by_channel[ch];
        if (!n) continue;
        top -= scale(n);
        bar(root, x, top, band * 0.7, scale(n), COLORS[ch], `${hourLabel(h.hour)} · ${t(ch)}: ${n}`);
      }
      if (h.hour % every === 0) xLabel(root, plot, plot.x + (h.hour + 0.5) * band, String(h.hour).padStart(2, "0"));
    }
    box.replaceChildren(root);
    if (!r.contacts) box.append(el("p", "empty", t("noContacts")));
    hourlyTable(r);
  }
  function hourlyTable(r) {
    const table = $("hourly-table");
    const head = el("tr");
    for (const text of [t("hour"), ...r.channels.map((ch) => t(ch)), t("total")]) {
      const th = el("th", null, text); th.scope = "col"; head.append(th);
    }
    const rows = r.contacts_per_hour.map((h) => {
      const row = el("tr");
      const th = el("th", null, hourLabel(h.hour)); th.scope = "row";
      row.append(th, ...r.channels.map((ch) => el("td", null, String(h.by_channel[ch]))), el("td", null, String(h.total)));
      return row;
    });
    table.replaceChildren(el("caption", null, t("hourlyCaption")), el("thead"), el("tbody"));
    table.tHead.append(head);
    table.tBodies[0].append(...rows);
  }

  function starsText(score) { return score === 1 ? t("star") : t("stars", { n: score }); }
  function csatLabel(csat) {
    if (!csat.rated) return t("csatEmpty");
    const parts = [1, 2, 3, 4, 5].map((s) => starsText(s) + ": " + csat.distribution[s]);
    return t("csatSummary", { parts: parts.join(P.lang === "zh" ? "，" : ", ") });
  }
  function drawSatisfaction(r) {
    const box = $("csat-chart");
    const csat = r.satisfaction;
    const counts = [1, 2, 3, 4, 5].map((s) => csat.distribution[s] || 0);
    const { root, plot, scale } = frame(box, niceMax(Math.max(...counts)), t("scoreAxis"), t("ratedAxis"), csatLabel(csat));
    const band = plot.w / 5;
    counts.forEach((n, i) => {
      const x = plot.x + i * band + band * 0.2;
      bar(root, x, plot.y + plot.h - scale(n), band * 0.6, scale(n), SCORE_COLORS[i], `${starsText(i + 1)}: ${n}`);
      if (n) root.append(svg("text", { x: x + band * 0.3, y: plot.y + plot.h - scale(n) - 6, "text-anchor": "middle", class: "value" }, String(n)));
      xLabel(root, plot, plot.x + (i + 0.5) * band, (i + 1) + " ★");
    });
    box.replaceChildren(root);
    if (!csat.rated) box.append(el("p", "empty", t("noRatings")));
    csatTable(counts);
  }
  function csatTable(counts) {
    const table = $("csat-table");
    const head = el("tr");
    for (const text of [t("score"), t("ratedAxis")]) { const th = el("th", null, text); th.scope = "col"; head.append(th); }
    table.replaceChildren(el("caption", null, t("csatCaption")), el("thead"), el("tbody"));
    table.tHead.append(head);
    table.tBodies[0].append(...counts.map((n, i) => {
      const row = el("tr");
      const th = el("th", null, starsText(i + 1)); th.scope = "row";
      row.append(th, el("td", null, String(n)));
      return row;
    }));
  }

  window.addEventListener("resize", () => {
    clearTimeout(S.resizeTimer);
    S.resizeTimer = setTimeout(() => { if (S.report) { drawHourly(S.report); drawSatisfaction(S.report); } }, 150);
  });

  P.run();
})();
