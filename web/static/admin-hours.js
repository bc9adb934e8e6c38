/* The admin page's business hours: the queue form's "Business hours" fieldset, read into the hub's Hours
 * ({timezone, weekly: {mon: [["09:00", "18:00"]], ...}, holidays, outside, announcement}, or null for always
 * open) and filled back from a queue, and the one-line summary the queues table shows. Mounted by admin.js
 * with its page helpers; what a person typed wrong is thrown as {detail} in the page's language.
 */
(function () {
  "use strict";

  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  // "09:00-12:00", with - – — ~ ～ 至 or 到 between; "9-18" is 09:00-18:00.
  const SPAN = /^(\d{1,2})(?:[:：](\d{2}))?\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2})(?:[:：](\d{2}))?$/;
  const DATE = /^\d{4}-\d{2}-\d{2}$/;

  /* "HH:MM" of an hour and minute as typed, or null when there is no such time (24:00 ends a day). */
  function clock(hour, minute) {
    const h = Number(hour), m = minute === undefined ? 0 : Number(minute);
    if (h > 24 || m > 59 || (h === 24 && m > 0)) return null;
    return String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0");
  }
  function minutes(text) { const [h, m] = text.split(":"); return Number(h) * 60 + Number(m); }
  function isDate(text) {
    const day = new Date(text + "T00:00:00Z");
    return DATE.test(text) && !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
  }
  function localZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai"; } catch (e) { return "Asia/Shanghai"; }
  }
  const showSpans = (spans) => spans.map(([start, end]) => start + "–" + end).join(", ");

  /* One labelled field per weekday, taking that day's spans. */
  function dayFields(P) {
    for (const day of DAYS) {
      const label = P.el("label");
      label.htmlFor = "h-" + day;
      label.dataset.i18n = "day_" + day;
      const input = P.el("input", "spans");
      Object.assign(input, { id: "h-" + day, autocomplete: "off", spellcheck: false });
      input.setAttribute("aria-describedby", "h-week-help");
      const box = P.el("div");
      box.append(label, input);
      P.$("h-days").append(box);
    }
  }

  function mount(P) {
    const { t, $ } = P;
    dayFields(P);
    const fail = (key, vars) => { throw { detail: t(key, vars) }; };
    const controls = () => $("hours-detail").querySelectorAll("input, select, textarea");

    function parseDay(day, text) {
      const spans = [];
      for (const part of text.split(/[,，;；、]/).map((p) => p.trim()).filter(Boolean)) {
        const m = SPAN.exec(part);
        const start = m && clock(m[1], m[2]);
        const end = m && clock(m[3], m[4]);
        if (!start || !end || start === "24:00") fail("badSpan", { day: t("day_" + day), text: part });
        if (minutes(end) <= minutes(start)) fail("backwardSpan", { day: t("day_" + day), text: part });
        spans.push([start, end]);
      }
      return spans.sort((a, b) => minutes(a[0]) - minutes(b[0]));
    }

    function parseHolidays(text) {
      const dates = text.split(/[,，、;；\s]+/).filter(Boolean);
      const bad = dates.find((d) => !isDate(d));
      if (bad) fail("badHoliday", { text: bad });
      return [...new Set(dates)].sort();
    }

    /* The form's hours: null when always open. */
    function read() {
      if ($("h-always").checked) return null;
      const timezone = $("h-tz").value.trim();
      if (!timezone) fail("noZone");
      const weekly = {};
      for (const day of DAYS) {
        const spans = parseDay(day, $("h-" + day).value);
        if (spans.length) weekly[day] = spans;
      }
      const announcement = $("h-announcement").value.trim();
      return { timezone, weekly, holidays: parseHolidays($("h-holidays").value), outside: $("h-outside").value,
               announcement: announcement || null };
    }

    function fill(hours) {
      $("h-always").checked = !hours;
      $("h-tz").value = hours ? hours.timezone : "";
      for (const day of DAYS) $("h-" + day).value = hours ? (hours.weekly[day] || []).map((s) => s.join("-")).join(", ") : "";
      $("h-holidays").value = hours ? hours.holidays.join(", ") : "";
      $("h-outside").value = hours ? hours.outside : "bot_only";
      $("h-announcement").value = hours && hours.announcement ? hours.announcement : "";
      show();
    }

    function show() {
      const always = $("h-always").checked;
      $("hours-detail").hidden = always;
      controls().forEach((control) => { control.disabled = always; });
    }

    /* "Asia/Shanghai · Mon–Fri 09:00–18:00; Sat 10:00–16:00 · 2 holidays" */
    function summary(hours) {
      if (!hours) return t("alwaysOpen");
      const runs = [];
      DAYS.forEach((day, i) => {
        const spans = showSpans(hours.weekly[day] || []);
        const last = runs[runs.length - 1];
        if (spans && last && last.spans === spans && last.to === i - 1) last.to = i;
        else if (spans) runs.push({ from: i, to: i, spans });
      });
      const short = (i) => t("dayShort_" + DAYS[i]);
      const days = runs.map((r) => (r.from === r.to ? short(r.from) : t("dayRange", { from: short(r.from), to: short(r.to) }))
                                   + " " + r.spans).join(t("dayRuns"));
      const parts = [hours.timezone, days || t("closedAllWeek")];
      if (hours.holidays.length) parts.push(t(hours.holidays.length === 1 ? "holiday1" : "holidays", { n: hours.holidays.length }));
      return parts.join(" · ");
    }

    $("h-always").addEventListener("change", () => {
      if (!$("h-always").checked && !$("h-tz").value) $("h-tz").value = localZone();
      show();
    });
    show();
    return { read, fill, summary };
  }

  window.HubHours = { mount };
})();
