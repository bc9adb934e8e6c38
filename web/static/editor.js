/* The knowledge editor: articles (list, edit, review and publish), their versions (diff, rollback), the
 * unanswered-questions inbox, synonyms, import and export.
 *
 * Everything goes through /api/kb (hub/api/kb.py), which checks roles and the article's `revision`: the page
 * only offers the steps the signed-in role may take in the article's state, and a save or a step made on an
 * old revision comes back 409 `stale_revision`. Errors are shown by their code, in the page's language.
 * All text goes through textContent.
 */
(function () {
  "use strict";

  const TOKEN_KEY = "hub.editor.token";
  const CHANNELS = ["webchat", "wechat", "email", "voice"];
  const FIELDS = ["title", "question", "answer", "similar", "variants", "category", "tags", "valid_from", "valid_to"];
  const ERRORS = ["network", "stale_revision", "illegal_transition", "role_forbidden", "forbidden", "missing_field",
                  "too_long", "invalid_field", "invalid_request", "not_found", "rate_limited", "bad_credentials",
                  "unauthorized"];
  const STRINGS = {
    en: {
      title: "Knowledge editor", otherLang: "中文", signOut: "Sign out", dismiss: "Dismiss", signIn: "Sign in",
      username: "Username", password: "Password", whoami: "{name} · {role}", role_editor: "Editor",
      role_reviewer: "Reviewer", role_admin: "Admin",
      articles: "Articles", newArticle: "New article", state: "State", allStates: "All states", category: "Category",
      allCategories: "All categories", searchLabel: "Search titles and questions", noArticles: "No article matches.",
      noArticlesYet: "No article yet: write one, or import a file.",
      articleCol: "Article", liveCol: "Live", draft: "Draft", in_review: "In review", published: "Published",
      archived: "Archived", off: "Off", none: "—", vN: "v{n}", uncategorised: "No category",
      editTitle: "Edit “{title}”", newTitle: "New article", newFromMisses: "New article from unanswered questions",
      stateLine: "Revision {rev}", liveLine: "live: version {n}", notLive: "not live",
      hint_new: "Fill in at least the title, the standard question and the answer, then save.",
      hint_draft: "A draft: submit it for review when it is ready.",
      hint_in_review_writer: "Waiting for a reviewer, who will publish it or send it back. Editing it makes it a draft again.",
      hint_in_review_reviewer: "Check it, then publish it or send it back with a note.",
      hint_published: "Published. Editing starts a new draft; the live version answers until the next publish.",
      hint_archived: "Archived: the bot does not answer from it.",
      reviewNote: "Reviewer's note: {note}",
      titleField: "Title", question: "Standard question", similar: "Similar questions", addSimilar: "Add a similar question",
      similarHelp: "Other ways customers ask the same thing. Enter in a box adds another.",
      similarN: "Similar question {n}", removeSimilar: "Remove similar question {n}", remove: "Remove",
      answer: "Answer", variants: "Answer per channel", variantsHelp: "Leave a channel empty to use the answer above.",
      webchat: "Web chat", wechat: "WeChat", email: "Email", voice: "Voice", voiceLong: "Voice (short and speakable)",
      categoryHelp: "A path such as Billing/Refunds", tags: "Tags", tagsHelp: "Separated by commas",
      validFrom: "Valid from", validTo: "Valid until",
      validHelp: "Empty: no limit. The bot answers from it only inside these dates (your local time).",
      save: "Save", discard: "Discard my changes", workflow: "Review and publishing",
      noteLabel: "Note (optional): the editor sees it when you send back; it stays with the version you publish",
      step_submit: "Submit for review", step_publish: "Publish", step_reject: "Send back", step_archive: "Archive",
      step_restore: "Restore", step_disable: "Turn off", step_enable: "Turn on",
      done_submit: "Submitted for review.", done_publish: "Published as version {n}.", done_reject: "Sent back to the editor.",
      done_archive: "Archived.", done_restore: "Restored as a draft.", done_disable: "Turned off: the bot no longer answers from it.",
      done_enable: "Turned on: the bot answers from it again.", saved: "Saved.",
      confirmArchive: "Archive “{title}”? The bot stops answering from it.",
      confirmRollback: "Publish the content of version {n} again, as a new version?",
      confirmDiscard: "Discard your unsaved changes?", saveFirst: "You have unsaved changes: save or discard them first.",
      required: "The title, the standard question and the answer are needed.",
      history: "Version history", noVersions: "Not published yet: versions appear when it is published.",
      versionCol: "Version", publishedAt: "Published", noteCol: "Note", actions: "Actions",
      rollback: "Roll back", rollbackTo: "Roll back to version {n}", rolledBack: "Version {n} is live again, as version {m}.",
      diffFrom: "Compare version", diffTo: "with", compare: "Show differences", workingCopy: "the working copy",
      noDiff: "No differences.", diffTitle: "Changes from {from} to {to}", noteRollback: "rollback to {n}",
      noteImported: "imported", field_title: "Title", field_question: "Standard question", field_similar: "Similar questions",
      field_answer: "Answer", field_variants: "Answer per channel", field_category: "Category", field_tags: "Tags",
      field_valid_from: "Valid from", field_valid_to: "Valid until", diffRemoved: "removed", diffAdded: "added",
      misses: "Unanswered questions", refresh: "Refresh", refreshList: "Refresh the article list", refreshMisses: "Refresh the questions",
      missesHelp: "Questions the bot could not answer. Write an article for them, or dismiss them.",
      noMisses: "No unanswered question right now.", select: "Select", missCol: "Question", whyCol: "Why",
      selectMiss: "Tick “{text}”", draftMiss: "Write an article", draftMissLabel: "Write an article for “{text}”",
      dismissMiss: "Dismiss", dismissMissLabel: "Dismiss “{text}”", dismissed: "Dismissed “{text}”.",
      draftSelected: "One article from the ticked questions", askedOn: "{channel}, {time}",
      reason_no_knowledge: "Nothing in the KB", reason_low_confidence: "Not sure enough",
      reason_unanswered_turns: "Missed several times", reason_rephrase: "Asked to rephrase", reason_other: "Not answered",
      synonyms: "Synonyms", saveSynonyms: "Save synonyms", synonymsSaved: "Synonyms saved ({n} groups).",
      synonymsLabel: "One group per line, words separated by commas; the bot reads each word as the first one of its line.",
      porting: "Import and export", importFile: "File to import (JSON or CSV)", importPublish: "Publish at once",
      import: "Import", exportFormat: "Export format", export: "Download the knowledge base",
      imported: "Imported {n} article(s) as drafts.", importedLive: "Imported and published {n} article(s).",
      chooseFile: "Choose a JSON or CSV file first.", exported: "Downloaded {name}.",
      forbidden: "The knowledge editor is for editors, reviewers and admins.",
      sessionEnded: "Your session has ended; please sign in again.",
      network: "Cannot reach the hub; check your connection.",
      err_network: "Cannot reach the hub; check your connection.",
      err_stale_revision: "Someone else changed this article after you opened it, so nothing was changed. Discard your changes to see theirs, then try again.",
      err_illegal_transition: "That step is not possible in the article's present state; it may have changed meanwhile.",
      err_role_forbidden: "Your role may not do that.", err_forbidden: "Your role may not do that.",
      err_missing_field: "The title, the standard question and the answer are needed.",
      err_too_long: "Something is too long: questions take up to 500 characters, answers up to 4000, synonyms up to 100.",
      err_invalid_field: "Check the dates: “Valid until” must come after “Valid from”.",
      err_invalid_request: "The hub did not accept this; check the fields and try again.",
      err_not_found: "It no longer exists; the list has been refreshed.", err_rate_limited: "Too many attempts; wait a minute.",
      err_bad_credentials: "Wrong username or password.", err_unauthorized: "Your session has ended; please sign in again.",
      err_invalid_import: "Nothing was imported: the file has mistakes. The hub says:",
      err_other: "Something went wrong; please try again.",
    },
    zh: {
      title: "知识库编辑", otherLang: "English", signOut: "退出登录", dismiss: "关闭", signIn: "登录",
      username: "用户名", password: "密码", whoami: "{name} · {role}", role_editor: "编辑",
      role_reviewer: "审核员", role_admin: "管理员",
      articles: "知识条目", newArticle: "新建条目", state: "状态", allStates: "全部状态", category: "分类",
      allCategories: "全部分类", searchLabel: "搜索标题和问题", noArticles: "没有符合条件的条目。",
      noArticlesYet: "还没有条目：新建一个，或导入文件。",
      articleCol: "条目", liveCol: "线上", draft: "草稿", in_review: "待审核", published: "已发布",
      archived: "已归档", off: "已停用", none: "—", vN: "第 {n} 版", uncategorised: "未分类",
      editTitle: "编辑“{title}”", newTitle: "新建条目", newFromMisses: "根据未解答问题新建条目",
      stateLine: "修订号 {rev}", liveLine: "线上：第 {n} 版", notLive: "未上线",
      hint_new: "至少填写标题、标准问题和答案，然后保存。",
      hint_draft: "草稿：完成后请提交审核。",
      hint_in_review_writer: "等待审核员发布或退回。再次编辑会使其变回草稿。",
      hint_in_review_reviewer: "请审核，然后发布，或附上意见退回。",
      hint_published: "已发布。编辑会生成新的草稿；在下次发布前，线上版本继续生效。",
      hint_archived: "已归档：机器人不再使用此条目作答。",
      reviewNote: "审核意见：{note}",
      titleField: "标题", question: "标准问题", similar: "相似问法", addSimilar: "添加相似问法",
      similarHelp: "客户询问同一件事的其他说法。在输入框中按回车可再添加一条。",
      similarN: "相似问法 {n}", removeSimilar: "删除相似问法 {n}", remove: "删除",
      answer: "答案", variants: "各渠道答案", variantsHelp: "留空的渠道使用上面的答案。",
      webchat: "网页聊天", wechat: "微信", email: "邮件", voice: "语音", voiceLong: "语音（简短、适合朗读）",
      categoryHelp: "路径格式，例如 账单/退款", tags: "标签", tagsHelp: "用逗号分隔",
      validFrom: "生效时间", validTo: "失效时间",
      validHelp: "留空：不限。机器人只在此期间内使用该条目作答（按您的本地时间）。",
      save: "保存", discard: "放弃我的修改", workflow: "审核与发布",
      noteLabel: "备注（可选）：退回时编辑会看到；发布时记在该版本上",
      step_submit: "提交审核", step_publish: "发布", step_reject: "退回", step_archive: "归档",
      step_restore: "恢复", step_disable: "停用", step_enable: "启用",
      done_submit: "已提交审核。", done_publish: "已发布为第 {n} 版。", done_reject: "已退回给编辑。",
      done_archive: "已归档。", done_restore: "已恢复为草稿。", done_disable: "已停用：机器人不再使用它作答。",
      done_enable: "已启用：机器人重新使用它作答。", saved: "已保存。",
      confirmArchive: "归档“{title}”？机器人将不再使用它作答。",
      confirmRollback: "将第 {n} 版的内容重新发布为新版本？",
      confirmDiscard: "放弃尚未保存的修改？", saveFirst: "您有尚未保存的修改：请先保存或放弃。",
      required: "标题、标准问题和答案为必填项。",
      history: "版本历史", noVersions: "尚未发布：发布后这里会显示各个版本。",
      versionCol: "版本", publishedAt: "发布时间", noteCol: "备注", actions: "操作",
      rollback: "回滚", rollbackTo: "回滚到第 {n} 版", rolledBack: "第 {n} 版已重新上线，成为第 {m} 版。",
      diffFrom: "比较版本", diffTo: "与", compare: "显示差异", workingCopy: "当前稿",
      noDiff: "没有差异。", diffTitle: "从{from}到{to}的变化", noteRollback: "回滚到第 {n} 版",
      noteImported: "导入", field_title: "标题", field_question: "标准问题", field_similar: "相似问法",
      field_answer: "答案", field_variants: "各渠道答案", field_category: "分类", field_tags: "标签",
      field_valid_from: "生效时间", field_valid_to: "失效时间", diffRemoved: "删除", diffAdded: "新增",
      misses: "未解答问题", refresh: "刷新", refreshList: "刷新条目列表", refreshMisses: "刷新问题列表",
      missesHelp: "机器人没能回答的问题。可以为其编写条目，或忽略。",
      noMisses: "目前没有未解答的问题。", select: "选择", missCol: "问题", whyCol: "原因",
      selectMiss: "勾选“{text}”", draftMiss: "编写条目", draftMissLabel: "为“{text}”编写条目",
      dismissMiss: "忽略", dismissMissLabel: "忽略“{text}”", dismissed: "已忽略“{text}”。",
      draftSelected: "用勾选的问题新建一个条目", askedOn: "{channel}，{time}",
      reason_no_knowledge: "知识库中没有", reason_low_confidence: "把握不足",
      reason_unanswered_turns: "多次未答上", reason_rephrase: "请客户换个说法", reason_other: "未解答",
      synonyms: "同义词", saveSynonyms: "保存同义词", synonymsSaved: "同义词已保存（{n} 组）。",
      synonymsLabel: "每行一组，词之间用逗号分隔；机器人把每个词都当作该行的第一个词理解。",
      porting: "导入与导出", importFile: "要导入的文件（JSON 或 CSV）", importPublish: "导入后立即发布",
      import: "导入", exportFormat: "导出格式", export: "下载知识库",
      imported: "已导入 {n} 个条目（草稿）。", importedLive: "已导入并发布 {n} 个条目。",
      chooseFile: "请先选择 JSON 或 CSV 文件。", exported: "已下载 {name}。",
      forbidden: "知识库编辑仅供编辑、审核员和管理员使用。",
      sessionEnded: "登录已失效，请重新登录。",
      network: "无法连接到服务器，请检查网络。",
      err_network: "无法连接到服务器，请检查网络。",
      err_stale_revision: "在您打开此条目后，其他人修改了它，因此本次操作未生效。请放弃您的修改以查看对方的版本，然后重试。",
      err_illegal_transition: "条目当前的状态不允许此操作；它可能刚被别人改过。",
      err_role_forbidden: "您的角色无权执行此操作。", err_forbidden: "您的角色无权执行此操作。",
      err_missing_field: "标题、标准问题和答案为必填项。",
      err_too_long: "内容过长：问题最多 500 个字符，答案最多 4000 个字符，同义词最多 100 个字符。",
      err_invalid_field: "请检查日期：“失效时间”必须晚于“生效时间”。",
      err_invalid_request: "服务器未接受此请求，请检查各项内容后重试。",
      err_not_found: "该内容已不存在；列表已刷新。", err_rate_limited: "尝试次数过多，请稍等一分钟。",
      err_bad_credentials: "用户名或密码错误。", err_unauthorized: "登录已失效，请重新登录。",
      err_invalid_import: "未导入任何内容：文件中有错误。服务器的说明：",
      err_other: "出了点问题，请重试。",
    },
  };

  const S = { me: null, list: [], categories: [], article: null, dirty: false, fromMisses: null, versions: [],
              diff: null, misses: [], ticked: new Set(), searchTimer: null };
  const P = HubStaff.page({ tokenKey: TOKEN_KEY, strings: STRINGS, start, explain, render, signedOut });
  const { t, el, $, api } = P;
  const reviewer = () => S.me && (S.me.role === "reviewer" || S.me.role === "admin");

  function explain(e) {
    const code = e && e.code;
    if (code === "invalid_import") return t("err_invalid_import") + " " + String(e.detail || "").replace(/^nothing was imported: /, "");
    return t(ERRORS.includes(code) ? "err_" + code : "err_other");
  }
  /* A failed call: an ended session goes back to the sign-in form; anything else is explained. */
  function failed(e) {
    if (e && e.status === 401) return P.forget(t("sessionEnded"));
    P.showAlert(explain(e));
    if (e && e.code === "not_found") loadList();
  }
  function notify(text) { $("alert").hidden = true; $("notice").textContent = text; $("notice").hidden = false; }
  function clearMessages() { $("alert").hidden = true; $("notice").hidden = true; }
  function button(text, label, onClick, cls) {
    const b = el("button", cls || null, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString(P.lang === "zh" ? "zh-CN" : "en") : t("none"); }
  function q(params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString();
    return query ? "?" + query : "";
  }
  function articlePath(id, tail) { return "/api/kb/articles/" + encodeURIComponent(id) + (tail || ""); }

  /* Requests whose body or answer is a file rather than JSON (import, export). */
  async function fileRequest(method, path, body) {
    let res;
    try {
      res = await fetch(path, { method, body, headers: { authorization: "Bearer " + P.token } });
    } catch (e) { throw { code: "network" }; }
    if (res.ok) return res;
    const data = await res.json().catch(() => ({}));
    throw { status: res.status, code: data.code, detail: data.detail };
  }

  async function start() {
    try {
      S.me = await api("GET", "/api/agent/me");
      if (!["editor", "reviewer", "admin"].includes(S.me.role)) throw { status: 403 };
    } catch (e) { return P.failed(e); }
    P.showBoard();
    newArticle();
    await Promise.all([loadList(), loadCategories(), loadMisses(), loadSynonyms()]);
    render();
  }
  function signedOut() {
    Object.assign(S, { me: null, article: null, dirty: false, fromMisses: null, versions: [], diff: null });
    $("whoami").textContent = "";
  }
  function render() {
    if (!S.me) return;
    $("whoami").textContent = t("whoami", { name: S.me.display_name || S.me.username, role: t("role_" + S.me.role) });
    $("publish-now-label").hidden = !reviewer();
    renderList(); renderCategories(); renderHead(); renderSimilarLabels(); renderVersions(); fillDiffChoices(true);
    renderDiff(); renderMisses();
  }

  // ----- the article list ------------------------------------------------------------------------
  async function loadList() {
    try {
      S.list = await api("GET", "/api/kb/articles" + q({ status: $("f-status").value, category: $("f-category").value,
                                                          q: $("f-q").value.trim() }));
    } catch (e) { return failed(e); }
    S.list.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    renderList();
  }
  async function loadCategories() {
    try { S.categories = await api("GET", "/api/kb/categories"); } catch (e) { return failed(e); }
    renderCategories();
  }
  function categoryPaths(nodes, depth, out) {
    for (const node of nodes) { out.push([node.path, depth, node.articles]); categoryPaths(node.children, depth + 1, out); }
    return out;
  }
  function renderCategories() {
    const select = $("f-category");
    const chosen = select.value;
    const paths = categoryPaths(S.categories, 0, []);
    select.replaceChildren(new Option(t("allCategories"), ""));
    for (const [path, depth, n] of paths) {
      select.append(new Option("\u00a0\u00a0".repeat(depth) + path.split("/").pop() + " (" + n + ")", path));
    }
    select.value = paths.some(([path]) => path === chosen) ? chosen : "";
    $("category-paths").replaceChildren(...paths.map(([path]) => new Option(path)));
  }
  function statePills(a) {
    const cell = el("td");
    cell.append(el("span", "pill " + a.status, t(a.status)));
    if (!a.enabled) cell.append(el("span", "pill off", t("off")));
    return cell;
  }
  function renderList() {
    const body = $("articles").tBodies[0];
    body.replaceChildren();
    const filtered = $("f-status").value || $("f-category").value || $("f-q").value.trim();
    $("list-empty").textContent = t(filtered ? "noArticles" : "noArticlesYet");
    $("list-empty").hidden = S.list.length > 0;
    $("articles").hidden = S.list.length === 0;
    for (const a of S.list) {
      const row = el("tr");
      const head = el("th");
      head.scope = "row";
      const open = button(a.content.title, null, () => openArticle(a.id), "linkish");
      open.setAttribute("aria-current", String(!!S.article && S.article.id === a.id));
      head.append(open, el("span", "sub", a.content.category || t("uncategorised")));
      row.append(head, statePills(a), el("td", "num", a.live_version ? t("vN", { n: a.live_version }) : t("none")));
      body.append(row);
    }
  }
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });
  $("f-status").addEventListener("change", loadList);
  $("list-refresh").addEventListener("click", () => { loadList(); loadCategories(); });
  $("f-category").addEventListener("change", loadList);
  $("f-q").addEventListener("input", () => { clearTimeout(S.searchTimer); S.searchTimer = setTimeout(loadList, 250); });

  // ----- the article form -------------------------------------------------------------------------
  function addSimilar(text) {
    const li = el("li");
    const input = el("input");
    input.maxLength = 500;
    input.value = text || "";
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.isComposing) { ev.preventDefault(); addSimilar("").focus(); }
    });
    const remove = button(t("remove"), null, () => {
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove(); markDirty(); renderSimilarLabels();
      (next ? next.querySelector("input") : $("add-similar")).focus();
    }, "danger");
    li.append(input, remove);
    $("similar-list").append(li);
    renderSimilarLabels();
    return input;
  }
  function renderSimilarLabels() {
    [...$("similar-list").children].forEach((li, i) => {
      li.querySelector("input").setAttribute("aria-label", t("similarN", { n: i + 1 }));
      const remove = li.querySelector("button");
      remove.textContent = t("remove");
      remove.setAttribute("aria-label", t("removeSimilar", { n: i + 1 }));
    });
  }
  $("add-similar").addEventListener("click", () => { addSimilar("").focus(); markDirty(); });

  function localInput(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }
  function fillForm(content) {
    $("a-title").value = content.title || "";
    $("a-question").value = content.question || "";
    $("a-answer").value = content.answer || "";
    $("similar-list").replaceChildren();
    for (const text of content.similar || []) addSimilar(text);
    for (const c of CHANNELS) $("v-" + c).value = (content.variants || {})[c] || "";
    $("a-category").value = content.category || "";
    $("a-tags").value = (content.tags || []).join(", ");
    $("a-from").value = localInput(content.valid_from);
    $("a-to").value = localInput(content.valid_to);
    document.querySelectorAll("#article-form [aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }
  function formContent() {
    const variants = {};
    for (const c of CHANNELS) if ($("v-" + c).value.trim()) variants[c] = $("v-" + c).value.trim();
    const time = (id) => ($(id).value ? new Date($(id).value).toISOString() : null);
    return {
      title: $("a-title").value.trim(), question: $("a-question").value.trim(), answer: $("a-answer").value.trim(),
      similar: [...$("similar-list").querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean),
      variants, category: $("a-category").value.trim() || null,
      tags: $("a-tags").value.split(/[,，]/).map((s) => s.trim()).filter(Boolean),
      valid_from: time("a-from"), valid_to: time("a-to"),
    };
  }
  /* The fields the hub needs, checked here so the message is in the page's language; the first empty is focused. */
  function missingRequired() {
    const empty = ["a-title", "a-question", "a-answer"].filter((id) => !$(id).value.trim());
    for (const id of ["a-title", "a-question", "a-answer"]) {
      if (empty.includes(id)) $(id).setAttribute("aria-invalid", "true"); else $(id).removeAttribute("aria-invalid");
    }
    if (empty.length) { P.showAlert(t("required")); $(empty[0]).focus(); }
    return empty.length > 0;
  }
  function markDirty() { S.dirty = true; }
  $("article-form").addEventListener("input", markDirty);

  function newArticle() {
    S.article = null; S.fromMisses = null; S.versions = []; S.diff = null; S.dirty = false;
    clearMessages();
    fillForm({});
    renderHead(); renderVersions(); renderDiff(); renderList();
  }
  $("new-article").addEventListener("click", () => {
    if (S.dirty && !window.confirm(t("confirmDiscard"))) return;
    newArticle();
    $("a-title").focus();
  });
  async function openArticle(id) {
    if (S.dirty && !window.confirm(t("confirmDiscard"))) return;
    try { show(await api("GET", articlePath(id))); } catch (e) { return failed(e); }
    $("a-title").focus();
  }
  /* The article as the hub has it now: the form, the heading, its steps and its history. */
  function show(article) {
    S.article = article; S.fromMisses = null; S.dirty = false; S.diff = null;
    S.list = S.list.map((a) => (a.id === article.id ? article : a));  // the list row says what the editor says
    clearMessages();
    fillForm(article.content);
    renderHead(); renderList(); renderDiff();
    loadVersions();
  }
  $("discard").addEventListener("click", async () => {
    if (!S.article) { newArticle(); return $("a-title").focus(); }
    try { show(await api("GET", articlePath(S.article.id))); } catch (e) { failed(e); }
  });

  $("article-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (missingRequired()) return;
    const content = formContent();
    try {
      if (!S.article && S.fromMisses) {  // the hub drafts it from the questions, then it takes the rest of the form
        S.article = await api("POST", "/api/kb/misses/draft", { miss_ids: S.fromMisses, title: content.title,
                                                                answer: content.answer });
        S.fromMisses = null;
        loadMisses();
      }
      show(S.article ? await api("PUT", articlePath(S.article.id), { revision: S.article.revision, content })
                     : await api("POST", "/api/kb/articles", content));
      notify(t("saved"));
      loadList(); loadCategories();
    } catch (e) { renderHead(); failed(e); }
  });

  function renderHead() {
    const a = S.article;
    $("edit-title").textContent = a ? t("editTitle", { title: a.content.title })
      : t(S.fromMisses ? "newFromMisses" : "newTitle");
    const line = $("edit-state");
    line.replaceChildren();
    if (a) {
      line.append(el("span", "pill " + a.status, t(a.status)));
      if (!a.enabled) line.append(el("span", "pill off", t("off")));
      line.append(a.live_version ? el("span", "live", t("liveLine", { n: a.live_version })) : el("span", "muted", t("notLive")),
                  el("span", "muted", t("stateLine", { rev: a.revision })));
    }
    const who = reviewer() ? "reviewer" : "writer";
    $("edit-hint").textContent = t(!a ? "hint_new" : a.status === "in_review" ? "hint_in_review_" + who : "hint_" + a.status);
    $("review-note").hidden = !(a && a.review_note);
    $("review-note").textContent = a && a.review_note ? t("reviewNote", { note: a.review_note }) : "";
    $("discard").hidden = !a && !S.fromMisses;
    renderSteps();
  }

  // ----- workflow ---------------------------------------------------------------------------------
  /* The steps hub/library.py allows this role in this state. */
  function stepsFor(a) {
    const steps = [];
    if (a.status === "draft") steps.push("submit");
    if (a.status === "in_review" && reviewer()) steps.push("publish", "reject");
    if (a.status === "archived" && (a.published_version == null || reviewer())) steps.push("restore");
    if (reviewer() && a.published_version != null && a.status !== "archived") steps.push(a.enabled ? "disable" : "enable");
    if (a.status !== "archived") steps.push("archive");
    return steps;
  }
  function renderSteps() {
    const a = S.article;
    $("workflow").hidden = !a;
    if (!a) return;
    const steps = stepsFor(a);
    $("note-field").hidden = !steps.includes("reject");
    $("steps").replaceChildren(...steps.map((name) => button(t("step_" + name), null, () => step(name),
      name === "publish" || name === "submit" ? "primary" : name === "archive" ? "danger" : null)));
  }
  async function step(name) {
    const a = S.article;
    if (S.dirty) return P.showAlert(t("saveFirst"));
    if (name === "archive" && !window.confirm(t("confirmArchive", { title: a.content.title }))) return;
    const body = { revision: a.revision };
    const note = $("step-note").value.trim();
    if (note && (name === "publish" || name === "reject")) body.note = note;
    try {
      const done = await api("POST", articlePath(a.id, "/" + name), body);
      $("step-note").value = "";
      show(done);
      notify(t("done_" + name, { n: done.published_version }));
      loadList(); loadCategories();
      const first = $("steps").querySelector("button");
      (first || $("a-title")).focus();
    } catch (e) { failed(e); }
  }

  // ----- versions, diff and rollback ---------------------------------------------------------------
  async function loadVersions() {
    const a = S.article;
    S.versions = [];
    if (a) {
      try { S.versions = await api("GET", articlePath(a.id, "/versions")); } catch (e) { return failed(e); }
    }
    renderVersions();
    fillDiffChoices();
  }
  function versionNote(note) {
    const rollback = /^rollback to (\d+)$/.exec(note || "");
    if (rollback) return t("noteRollback", { n: rollback[1] });
    return note === "imported" ? t("noteImported") : note || t("none");
  }
  function renderVersions() {
    const a = S.article;
    $("history").hidden = !a;
    const body = $("versions").tBodies[0];
    body.replaceChildren();
    $("history-empty").hidden = S.versions.length > 0;
    $("versions").hidden = $("diff-form").hidden = S.versions.length === 0;
    for (const v of [...S.versions].reverse()) {
      const row = el("tr");
      const head = el("th", null, t("vN", { n: v.version }));
      head.scope = "row";
      if (a.live_version === v.version) head.append(" ", el("span", "pill published", t("liveCol")));
      const actions = el("td");
      if (reviewer() && a.status !== "archived" && v.version !== a.live_version) {
        actions.append(button(t("rollback"), t("rollbackTo", { n: v.version }), () => rollback(v.version)));
      }
      row.append(head, el("td", null, when(v.published_at)), el("td", null, versionNote(v.note)), actions);
      body.append(row);
    }
  }
  /* The versions to compare; by default the live one with the working copy when there is a newer draft,
   * else the last two versions. ``keep`` keeps the choice made (a change of language). */
  function fillDiffChoices(keep) {
    const from = $("diff-from"), to = $("diff-to");
    const chosen = [from.value, to.value];
    const numbers = S.versions.map((v) => v.version);
    from.replaceChildren(...numbers.map((n) => new Option(t("vN", { n }), String(n))));
    to.replaceChildren(new Option(t("workingCopy"), ""), ...numbers.map((n) => new Option(t("vN", { n }), String(n))));
    if (!numbers.length) return;
    if (keep) { [from.value, to.value] = chosen; return; }
    const live = S.article.live_version || numbers[numbers.length - 1];
    const changedSince = S.article.status === "draft" || S.article.status === "in_review";
    from.value = String(changedSince ? live : numbers[Math.max(0, numbers.length - 2)]);
    to.value = changedSince ? "" : String(numbers[numbers.length - 1]);
  }
  $("diff-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const from = $("diff-from").value, to = $("diff-to").value;
    try {
      const changes = await api("GET", articlePath(S.article.id, "/diff") + q({ from, to }));
      S.diff = { from, to, changes };
    } catch (e) { return failed(e); }
    renderDiff();
    $("diff").focus();
  });
  function diffLine(line) {
    const kind = line.startsWith("@@") ? "hunk" : line[0] === "+" ? "add" : line[0] === "-" ? "del" : "ctx";
    const node = el("span", "line " + kind, kind === "hunk" ? "…" : line.slice(1) || " ");
    if (kind === "add" || kind === "del") node.prepend(el("span", "sr", t(kind === "add" ? "diffAdded" : "diffRemoved") + ": "));
    return node;
  }
  function renderDiff() {
    const box = $("diff");
    box.replaceChildren();
    if (!S.diff) return;
    const { from, to, changes } = S.diff;
    box.append(el("h4", null, t("diffTitle", { from: t("vN", { n: from }), to: to ? t("vN", { n: to }) : t("workingCopy") })));
    const fields = FIELDS.filter((name) => changes[name]);
    if (!fields.length) box.append(el("p", "empty", t("noDiff")));
    for (const name of fields) {
      const pre = el("pre");
      pre.append(...changes[name].filter((line, i) => i > 0 || !line.startsWith("@@")).map(diffLine));
      box.append(el("h5", null, t("field_" + name)), pre);
    }
  }
  async function rollback(version) {
    if (S.dirty) return P.showAlert(t("saveFirst"));
    if (!window.confirm(t("confirmRollback", { n: version }))) return;
    try {
      const done = await api("POST", articlePath(S.article.id, "/rollback"), { revision: S.article.revision, version });
      show(done);
      notify(t("rolledBack", { n: version, m: done.published_version }));
      loadList();
    } catch (e) { failed(e); }
  }

  // ----- unanswered questions ----------------------------------------------------------------------
  async function loadMisses() {
    try { S.misses = await api("GET", "/api/kb/misses"); } catch (e) { return failed(e); }
    const open = new Set(S.misses.map((m) => m.id));
    S.ticked = new Set([...S.ticked].filter((id) => open.has(id)));
    renderMisses();
  }
  function renderMisses() {
    const body = $("misses").tBodies[0];
    body.replaceChildren();
    $("misses-empty").hidden = S.misses.length > 0;
    $("misses").hidden = S.misses.length === 0;
    for (const m of S.misses) {
      const row = el("tr");
      const tick = el("input");
      tick.type = "checkbox";
      tick.checked = S.ticked.has(m.id);
      tick.setAttribute("aria-label", t("selectMiss", { text: m.text }));
      tick.addEventListener("change", () => { tick.checked ? S.ticked.add(m.id) : S.ticked.delete(m.id); renderTicked(); });
      const tickCell = el("td"); tickCell.append(tick);
      const text = el("th", null, m.text);
      text.scope = "row";
      text.append(el("span", "sub", t("askedOn", { channel: t(m.channel), time: when(m.created_at) })));
      const reason = STRINGS.en["reason_" + m.reason] ? "reason_" + m.reason : "reason_other";
      const actions = el("td", "actions");
      actions.append(button(t("draftMiss"), t("draftMissLabel", { text: m.text }), () => draftFrom([m])),
                     button(t("dismissMiss"), t("dismissMissLabel", { text: m.text }), () => dismiss(m)));
      row.append(tickCell, text, el("td", null, t(reason)), actions);
      body.append(row);
    }
    renderTicked();
  }
  function renderTicked() {
    $("draft-selected").disabled = S.ticked.size === 0;
    $("draft-selected").hidden = S.misses.length < 2;
  }
  /* The editor, filled from the questions: the first is the standard question, the others similar ones.
   * Saving sends them to POST /api/kb/misses/draft, which marks them drafted. */
  function draftFrom(misses) {
    if (S.dirty && !window.confirm(t("confirmDiscard"))) return;
    newArticle();
    S.fromMisses = misses.map((m) => m.id);
    fillForm({ title: misses[0].text.slice(0, 500), question: misses[0].text, similar: misses.slice(1).map((m) => m.text) });
    S.dirty = true;
    renderHead();
    $("a-answer").focus();
  }
  $("draft-selected").addEventListener("click", () => draftFrom(S.misses.filter((m) => S.ticked.has(m.id))));
  async function dismiss(m) {
    try { await api("POST", "/api/kb/misses/" + encodeURIComponent(m.id) + "/dismiss"); } catch (e) { return failed(e); }
    notify(t("dismissed", { text: m.text }));
    await loadMisses();
    ($("misses").querySelector("button") || $("misses-refresh")).focus();
  }
  $("misses-refresh").addEventListener("click", loadMisses);

  // ----- synonyms ---------------------------------------------------------------------------------
  function showSynonyms(groups) { $("synonyms").value = groups.map((g) => g.join(", ")).join("\n"); }
  async function loadSynonyms() {
    try { showSynonyms((await api("GET", "/api/kb/synonyms")).groups); } catch (e) { failed(e); }
  }
  $("synonyms-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const groups = $("synonyms").value.split("\n").map((line) => line.split(/[,，、]/).map((s) => s.trim()).filter(Boolean))
      .filter((g) => g.length);
    try {
      const saved = await api("PUT", "/api/kb/synonyms", { groups });
      showSynonyms(saved.groups);
      notify(t("synonymsSaved", { n: saved.groups.length }));
    } catch (e) { failed(e); }
  });

  // ----- import and export ------------------------------------------------------------------------
  $("import-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("import-file").files[0];
    if (!file) { P.showAlert(t("chooseFile")); return $("import-file").focus(); }
    const publish = reviewer() && $("import-publish").checked;
    const format = /\.csv$/i.test(file.name) || file.type === "text/csv" ? "csv" : "json";
    try {
      const res = await fileRequest("POST", "/api/kb/import" + q({ format, publish: publish ? "true" : "" }), file);
      const articles = await res.json();
      $("import-form").reset();
      notify(t(publish ? "importedLive" : "imported", { n: articles.length }));
      loadList(); loadCategories();
    } catch (e) { failed(e); }
  });
  $("export-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const format = $("export-format").value;
    try {
      const blob = await (await fileRequest("GET", "/api/kb/export" + q({ format }))).blob();
      const link = el("a");
      link.href = URL.createObjectURL(blob);
      link.download = "kb." + format;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      notify(t("exported", { name: link.download }));
    } catch (e) { failed(e); }
  });

  P.run();
})();
