// /analytics: where the return reasons concentrate (outcome categories by week, carrier,
// SKU, country, channel and agent; the decision mix; the SKUs and carriers with the
// highest product and logistics fault rates), a product demo's results apart (never a
// return reason), how the service went, and the QA scores per agent by week (an agent's
// name opens their scored calls on /qa), for a period and filters. Figures come from GET
// /api/analytics/outcomes (the return reasons without a purpose; the demos' results with
// purpose=product_demo), /api/analytics/service and /api/analytics/qa (the same period and
// filters); each chart (Chart.js, vendor/chart.umd.min.js) has its table under it and a
// CSV export of that table; every count links to the review list filtered to exactly the
// calls behind it (review_link.js; a return reason's with return_reasons=true, a demo
// result's with purpose=product_demo), and clicking a bar opens the same list. The period
// and weeks are in the viewer's time zone (staff_i18n.js).
import { get } from "./api.js";
import { addDays, localDate, midnightIn } from "./analytics_time.js";
import { fail, say, startPage } from "./page.js";
import { staffLocale, staffTimeZone, t } from "./staff_i18n.js";
import { $, el, formatDuration } from "./ui.js";

const COLOURS = ["#c0392b", "#2471a3", "#b9770e", "#1e8449", "#7f8c8d", "#8e44ad", "#16a085", "#d35400"];
const TOP = 12; // bars in a chart by SKU, carrier, ...
const RATED = 10; // rows in a table of the highest fault rates
const DECISIONS_SETTLED = ["replace", "repair", "reject", "none"]; // not a refund
const DEMO = "product_demo"; // the purpose whose results are no return reasons
// the filters: the page's field -> the analytics' parameter -> the review list's
const FILTERS = [
  ["analytics-filter-purpose", "purpose", "purpose"],
  ["analytics-filter-channel", "channel", "channel"],
  ["analytics-filter-country", "country", "buyer_country"],
  ["analytics-filter-carrier", "carrier", "carrier"],
  ["analytics-filter-sku", "sku", "sku"],
  ["analytics-filter-agent", "agent", "agent_id"],
];
// the review list's parameter for a group's key
const GROUP_PARAM = { sku: "sku", carrier: "carrier", country: "buyer_country", channel: "channel", agent: "agent_id" };
const SECTIONS = [
  { id: "category", group: "category", title: "analytics.section.category", chart: "bar" },
  { id: "decision", group: "category", title: "analytics.section.decision", chart: "bar" },
  { id: "week", group: "week", title: "analytics.section.week", chart: "stacked" },
  { id: "carrier", group: "carrier", title: "analytics.section.carrier", chart: "stacked" },
  { id: "sku", group: "sku", title: "analytics.section.sku", chart: "stacked", top: { limit: TOP } },
  { id: "country", group: "country", title: "analytics.section.country", chart: "stacked" },
  { id: "channel", group: "channel", title: "analytics.section.channel", chart: "stacked" },
  { id: "agent", group: "agent", title: "analytics.section.agent", chart: "stacked" },
  { id: "sku-rate", group: "sku", title: "analytics.section.sku_rate", rate: "product", top: { limit: RATED, rank_by: "product" } },
  { id: "carrier-rate", group: "carrier", title: "analytics.section.carrier_rate", rate: "logistics", top: { limit: RATED, rank_by: "logistics" } },
];
// a section's request: its group, and for a top list its limit and ranking (the server
// picks the top rows: the page never loads every SKU)
const ask = (section) => new URLSearchParams({ group_by: section.group, ...(section.top || {}) }).toString();

const COLUMN_WORDS = {
  week: "analytics.col.week",
  carrier: "analytics.col.carrier",
  sku: "analytics.col.sku",
  country: "analytics.col.country",
  channel: "analytics.col.channel",
  agent: "analytics.col.agent",
};
const FIGURE_WORDS = {
  calls: "analytics.figure.calls",
  answered: "analytics.figure.answered",
  answer_p50: "analytics.figure.answer_median",
  answer_p90: "analytics.figure.answer_ninetieth",
  handle_p50: "analytics.figure.handle_median",
  handle_mean: "analytics.figure.handle_mean",
  left_queue: "analytics.figure.left_queue",
  untagged: "analytics.figure.untagged",
  not_reached: "analytics.figure.not_reached",
  settled: "analytics.figure.settled",
};

let vocabulary = null;
const charts = new Map();
const number = (n) => new Intl.NumberFormat(staffLocale()).format(n);
const percent = (x) => new Intl.NumberFormat(staffLocale(), { style: "percent", maximumFractionDigits: 1 }).format(x);

// ------------------------------------------------------------------ the period and filters

function period() {
  const zone = staffTimeZone();
  const choice = $("analytics-period").value;
  let first;
  let last; // inclusive local dates
  if (choice === "custom") {
    first = $("analytics-since").value;
    last = $("analytics-until").value;
  } else {
    last = localDate(new Date(), zone);
    first = addDays(last, 1 - Number(choice));
    $("analytics-since").value = first;
    $("analytics-until").value = last;
  }
  if (!first || !last || last < first) return null;
  return { since: midnightIn(first, zone), until: midnightIn(addDays(last, 1), zone) };
}

/** The figures' parameters (`params`), the review list's for every call (`review`), for
 * the return reasons' calls (`returns`) and for the demos' (`demos`, with `demoParams`). */
function query(span) {
  const params = new URLSearchParams({ since: span.since.toISOString(), until: span.until.toISOString() });
  const review = new URLSearchParams(params);
  for (const [id, name, reviewName] of FILTERS) {
    const value = $(id).value.trim();
    if (value) {
      params.set(name, value);
      review.set(reviewName, value);
    }
  }
  const returns = new URLSearchParams(review);
  returns.set("return_reasons", "true");
  const demos = new URLSearchParams(review);
  demos.set("purpose", DEMO);
  const demoParams = new URLSearchParams(params);
  demoParams.set("purpose", DEMO);
  return { params, review, returns, demos, demoParams };
}

/** The review list's address for `review` params plus `more`. */
function reviewHref(review, more = {}) {
  const params = new URLSearchParams(review);
  for (const [name, value] of Object.entries(more)) params.set(name, value);
  return `/review?${params}`;
}

// ------------------------------------------------------------------ words

const categoryWords = (code) => vocabulary.label("outcome_categories", code);
const decisionWords = (code) => vocabulary.label("decisions", code);
const categoryOf = (code) => vocabulary.categoryOf.get(code) || "inconclusive";

/** Whether a category holds a product demo's results (never a return reason). */
const isDemoCategory = (code) => (vocabulary.categoryPurposes.get(code) || []).includes(DEMO);

/** The return-reason categories, in the taxonomy's order (a demo's results left out). */
function categoriesInOrder() {
  return vocabulary
    .terms("outcome_categories")
    .map((term) => term.code)
    .filter((code) => !isDemoCategory(code));
}

/** One colour per category on every chart (by its place in the taxonomy). */
function categoryColour(code) {
  const place = categoriesInOrder().indexOf(code);
  return COLOURS[(place < 0 ? COLOURS.length - 1 : place) % COLOURS.length];
}

function keyWords(group, row) {
  if (row.key === null) return t("analytics.none");
  if (group === "agent") return row.label || t("analytics.agent_id", { id: row.key });
  if (group === "week") {
    const zone = staffTimeZone();
    const date = new Intl.DateTimeFormat(staffLocale(), { dateStyle: "medium", timeZone: zone }).format(midnightIn(row.key, zone));
    return t("analytics.week_of", { date });
  }
  if (group === "category") return categoryWords(row.key);
  return row.key;
}

/** Calls per category of one row (its by_outcome summed by the codes' categories). */
function perCategory(row) {
  const sums = {};
  for (const [code, n] of Object.entries(row.by_outcome)) sums[categoryOf(code)] = (sums[categoryOf(code)] || 0) + n;
  return sums;
}

// ------------------------------------------------------------------ a group's review filters

function groupFilter(group, row, span) {
  if (row.key === null) return null; // the review list has no "without a carrier" filter
  if (group === "category") return { category: row.key };
  if (group === "week") {
    const zone = staffTimeZone();
    const start = midnightIn(row.key, zone);
    const end = midnightIn(addDays(row.key, 7), zone);
    const since = start > span.since ? start : span.since;
    const until = end < span.until ? end : span.until;
    return { since: since.toISOString(), until: until.toISOString() };
  }
  return { [GROUP_PARAM[group]]: row.key };
}

// ------------------------------------------------------------------ tables, CSV

/** A count that opens the review list (plain text when no filter can name its calls). */
function countCell(n, href) {
  const cell = el("td", { class: "num", dataset: { value: String(n) } });
  if (href && n > 0) cell.append(el("a", { href, testid: "analytics-count", text: number(n) }));
  else cell.textContent = number(n);
  return cell;
}

function table(id, head, rows) {
  return el(
    "table",
    { class: "data analytics-table", testid: "analytics-table", dataset: { table: id } },
    el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { class: i ? "num" : null, scope: "col", text: h })))),
    el("tbody", {}, ...rows),
  );
}

function csvOf(tableNode) {
  const quote = (text) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const lines = [...tableNode.rows].map((tr) =>
    [...tr.cells].map((cell) => quote(cell.dataset.value ?? cell.textContent.trim())).join(","),
  );
  return `${lines.join("\r\n")}\r\n`;
}

// ------------------------------------------------------------------ charts

/** A bar chart (``type`` "line": a line per dataset; ``percent``: a 0-100 % axis). */
function drawChart(canvas, { type = "bar", percent: inPercent = false, labels, datasets, stacked, hrefs }) {
  charts.get(canvas.dataset.chart)?.destroy();
  const valueAxis = inPercent
    ? { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } }
    : { stacked, beginAtZero: true, ticks: { precision: 0 } };
  const chart = new window.Chart(canvas, {
    type,
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: type === "bar" && labels.length > 6 && !stacked ? "y" : "x",
      scales: { x: { stacked, ticks: { autoSkip: false, maxRotation: 60 } }, y: valueAxis },
      plugins: { legend: { display: datasets.length > 1 || type === "line", position: "bottom" } },
      onClick: (_event, found) => {
        const hit = found[0];
        const href = hit && hrefs[hit.datasetIndex] && hrefs[hit.datasetIndex][hit.index];
        if (href) location.assign(href);
      },
      onHover: (event, found) => {
        event.native.target.style.cursor = found.length ? "pointer" : "default";
      },
    },
  });
  charts.set(canvas.dataset.chart, chart);
}

// ------------------------------------------------------------------ sections

function sectionShell(section) {
  const body = el("div", { class: "analytics-body" });
  const exportLink = el("a", {
    class: "analytics-export",
    testid: "analytics-export",
    dataset: { table: section.id },
    download: `showdesk-${section.id}.csv`,
    text: t("analytics.export"),
  });
  return {
    node: el(
      "section",
      { class: "panel analytics-section", testid: "analytics-section", dataset: { section: section.id }, "aria-labelledby": `analytics-${section.id}-title` },
      el("div", { class: "panel-head" }, el("h2", { id: `analytics-${section.id}-title`, text: t(section.title) }), exportLink),
      body,
    ),
    body,
    exportLink,
  };
}

/** The section's chart (none without `canvasSpec`), table and CSV; `note`: a line above
 * them saying why the section has nothing to count. */
function fill(shell, section, canvasSpec, tableNode, note = null) {
  const parts = note ? [el("p", { class: "hint", testid: "analytics-note", text: note })] : [];
  if (canvasSpec) {
    const canvas = el("canvas", { testid: "analytics-chart", dataset: { chart: section.id }, role: "img", "aria-label": t(section.title) });
    parts.push(el("div", { class: "chart-box" }, canvas));
    shell.body.replaceChildren(...parts, el("div", { class: "table-scroll" }, tableNode));
    drawChart(canvas, canvasSpec);
  } else {
    shell.body.replaceChildren(...parts, el("div", { class: "table-scroll" }, tableNode));
  }
  shell.exportLink.href = `data:text/csv;charset=utf-8,${encodeURIComponent(csvOf(tableNode))}`;
}

function categorySection(rows, review) {
  const decisions = vocabulary.terms("decisions").map((term) => term.code);
  const total = rows.reduce((sum, r) => sum + r.calls, 0);
  const hrefs = rows.map((r) => reviewHref(review, { category: r.key }));
  const tableRows = rows.map((r, i) =>
    el(
      "tr",
      {},
      el("th", { scope: "row", text: categoryWords(r.key) }),
      countCell(r.calls, hrefs[i]),
      el("td", { class: "num", dataset: { value: (total ? r.calls / total : 0).toFixed(4) }, text: percent(total ? r.calls / total : 0) }),
      ...decisions.map((d) => countCell(r.by_decision[d] || 0, reviewHref(review, { category: r.key, decision: d }))),
    ),
  );
  return {
    chart: {
      labels: rows.map((r) => categoryWords(r.key)),
      datasets: [{ label: t("analytics.calls"), data: rows.map((r) => r.calls), backgroundColor: rows.map((r) => categoryColour(r.key)) }],
      stacked: false,
      hrefs: [hrefs],
    },
    table: [t("analytics.col.category"), t("analytics.calls"), t("analytics.share"), ...decisions.map(decisionWords)],
    rows: tableRows,
  };
}

function decisionSection(rows, review) {
  const decisions = vocabulary.terms("decisions").map((term) => term.code);
  const counts = decisions.map((d) => rows.reduce((sum, r) => sum + (r.by_decision[d] || 0), 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const hrefs = decisions.map((d) => reviewHref(review, { decision: d }));
  return {
    chart: {
      labels: decisions.map(decisionWords),
      datasets: [{ label: t("analytics.calls"), data: counts, backgroundColor: decisions.map((_, i) => COLOURS[(i + 1) % COLOURS.length]) }],
      stacked: false,
      hrefs: [hrefs],
    },
    table: [t("analytics.col.decision"), t("analytics.calls"), t("analytics.share")],
    rows: decisions.map((d, i) =>
      el(
        "tr",
        {},
        el("th", { scope: "row", text: decisionWords(d) }),
        countCell(counts[i], hrefs[i]),
        el("td", { class: "num", dataset: { value: (total ? counts[i] / total : 0).toFixed(4) }, text: percent(total ? counts[i] / total : 0) }),
      ),
    ),
    total,
    settled: decisions.reduce((sum, d, i) => sum + (DECISIONS_SETTLED.includes(d) ? counts[i] : 0), 0),
  };
}

function stackedSection(section, rows, review, span) {
  const shown = section.group === "week" ? rows : rows.slice(0, TOP);
  const categories = categoriesInOrder();
  const sums = shown.map(perCategory);
  const filters = shown.map((r) => groupFilter(section.group, r, span));
  const hrefOf = (i, more = {}) => (filters[i] ? reviewHref(review, { ...filters[i], ...more }) : null);
  return {
    chart: {
      labels: shown.map((r) => keyWords(section.group, r)),
      datasets: categories.map((c) => ({
        label: categoryWords(c),
        data: sums.map((s) => s[c] || 0),
        backgroundColor: categoryColour(c),
      })),
      stacked: true,
      hrefs: categories.map((c) => shown.map((_, i) => hrefOf(i, { category: c }))),
    },
    table: [t(COLUMN_WORDS[section.group]), t("analytics.calls"), ...categories.map(categoryWords)],
    rows: shown.map((r, i) =>
      el(
        "tr",
        {},
        el("th", { scope: "row", text: keyWords(section.group, r) }),
        countCell(r.calls, hrefOf(i)),
        ...categories.map((c) => countCell(sums[i][c] || 0, hrefOf(i, { category: c }))),
      ),
    ),
  };
}

// the rows come ranked by the server (rank_by: the share of their calls in the category,
// then those calls, then the key; no row without a key), the first RATED of them
function rateSection(section, rows, review, span) {
  const ranked = rows
    .map((r) => ({ row: r, faults: perCategory(r)[section.rate] || 0 }))
    .map((x) => ({ ...x, rate: x.faults / x.row.calls }));
  return {
    table: [t(COLUMN_WORDS[section.group]), t("analytics.calls"), categoryWords(section.rate), t("analytics.rate")],
    rows: ranked.map(({ row, faults, rate }) => {
      const filter = groupFilter(section.group, row, span);
      return el(
        "tr",
        {},
        el("th", { scope: "row", text: row.key }),
        countCell(row.calls, reviewHref(review, filter)),
        countCell(faults, reviewHref(review, { ...filter, category: section.rate })),
        el("td", { class: "num", dataset: { value: rate.toFixed(4) }, text: percent(rate) }),
      );
    }),
  };
}

// A product demo's results (GET /api/analytics/outcomes?purpose=product_demo&group_by=
// outcome): calls per result, never among the return reasons above; each count opens the
// review list's demo calls with that result.
const DEMO_SECTION = { id: "demo", title: "analytics.section.demo" };

function demoSection(rows, demos) {
  const codes = vocabulary.terms("outcomes", DEMO).map((term) => term.code);
  for (const r of rows) if (r.key !== null && !codes.includes(r.key)) codes.push(r.key); // retired ones
  const counts = codes.map((code) => rows.find((r) => r.key === code)?.calls || 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const hrefs = codes.map((code) => reviewHref(demos, { outcome: code }));
  const words = (code) => vocabulary.label("outcomes", code);
  return {
    chart: {
      labels: codes.map(words),
      datasets: [{ label: t("analytics.calls"), data: counts, backgroundColor: codes.map((_, i) => COLOURS[(i + 3) % COLOURS.length]) }],
      stacked: false,
      hrefs: [hrefs],
    },
    table: [t("analytics.col.result"), t("analytics.calls"), t("analytics.share")],
    rows: codes.map((code, i) =>
      el(
        "tr",
        {},
        el("th", { scope: "row", text: words(code) }),
        countCell(counts[i], hrefs[i]),
        el("td", { class: "num", dataset: { value: (total ? counts[i] / total : 0).toFixed(4) }, text: percent(total ? counts[i] / total : 0) }),
      ),
    ),
  };
}

// ------------------------------------------------------------------ the summary

function summary(service, decided, review) {
  const seconds = (s) => (s === null ? "–" : formatDuration(s));
  const items = [
    ["calls", number(service.calls), reviewHref(review), service.calls],
    ["answered", number(service.answered), reviewHref(review, { answered: "true" }), service.answered],
    ["answer_p50", seconds(service.answer_p50_s), null, service.answer_p50_s],
    ["answer_p90", seconds(service.answer_p90_s), null, service.answer_p90_s],
    ["handle_p50", seconds(service.handle_p50_s), null, service.handle_p50_s],
    ["handle_mean", seconds(service.handle_mean_s), null, service.handle_mean_s],
    ["left_queue", number(service.left_queue), reviewHref(review, { end_reason: "buyer_left_queue" }), service.left_queue],
    ["untagged", number(service.untagged), reviewHref(review, { untagged: "true" }), service.untagged],
    ["not_reached", number(service.not_reached), reviewHref(review, { not_reached: "true" }), service.not_reached],
    ["settled", decided.total ? percent(decided.settled / decided.total) : "–", null, decided.total ? (decided.settled / decided.total).toFixed(4) : ""],
  ];
  $("analytics-summary").replaceChildren(
    ...items.map(([name, text, href, value]) =>
      el(
        "div",
        { class: "figure", testid: "analytics-figure", dataset: { figure: name, value: value === null ? "" : String(value) } },
        el("dt", { text: t(FIGURE_WORDS[name]) }),
        el("dd", {}, href ? el("a", { href, testid: "analytics-count", text }) : text),
      ),
    ),
  );
}

// ------------------------------------------------------------------ loading

const shells = new Map();

// QA scores per agent (GET /api/analytics/qa): the mean weighted total of each agent's
// scores per week as a line, a table of the agents (their scores, the period's mean, each
// week's mean) and its CSV, drawn by the same fill() as the other sections.
const QA_SECTION = { id: "qa", title: "analytics.qa.title" };

function qaSection(data) {
  const weeks = [...new Set(data.rows.map((r) => r.week))].sort();
  const byWeek = new Map(data.rows.map((r) => [`${r.agent_id}/${r.week}`, r]));
  const name = (r) => r.agent_name || t("analytics.agent_id", { id: r.agent_id });
  const weekCell = (agent, week) => {
    const r = byWeek.get(`${agent.agent_id}/${week}`);
    return el("td", { class: "num", dataset: { value: r ? String(r.mean_pct) : "" }, text: r ? `${r.mean_pct}%` : "–" });
  };
  return {
    chart: {
      type: "line",
      percent: true,
      labels: weeks.map((w) => keyWords("week", { key: w })),
      datasets: data.agents.map((agent, i) => ({
        label: name(agent),
        data: weeks.map((w) => byWeek.get(`${agent.agent_id}/${w}`)?.mean_pct ?? null),
        borderColor: COLOURS[(i + 1) % COLOURS.length],
        backgroundColor: COLOURS[(i + 1) % COLOURS.length],
        spanGaps: true,
      })),
      stacked: false,
      hrefs: [],
    },
    table: [t("analytics.qa.agent"), t("analytics.qa.scores"), t("analytics.qa.mean"), ...weeks.map((w) => keyWords("week", { key: w }))],
    rows: data.agents.map((agent) =>
      el(
        "tr",
        { testid: "analytics-qa-row", dataset: { agentId: String(agent.agent_id) } },
        el("th", { scope: "row" }, el("a", { href: `/qa?agent_id=${agent.agent_id}`, testid: "analytics-qa-agent", text: name(agent) })),
        el("td", { class: "num", dataset: { value: String(agent.scores) }, text: number(agent.scores) }),
        el("td", { class: "num", dataset: { value: String(agent.mean_pct) }, text: `${agent.mean_pct}%` }),
        ...weeks.map((w) => weekCell(agent, w)),
      ),
    ),
  };
}

async function load() {
  const span = period();
  if (!span) {
    say(t("analytics.bad_period"));
    return;
  }
  const { params, review, returns, demos, demoParams } = query(span);
  const zone = staffTimeZone();
  $("analytics-zone").textContent = t("analytics.zone", { zone });
  // a demo's results are no return reasons: under a demo purpose filter the return-reason
  // sections are empty, under another purpose the demo section is
  const purpose = $("analytics-filter-purpose").value;
  const none = Promise.resolve({ rows: [] });
  const outcomes = (what, on = params) => get(`/api/analytics/outcomes?${on}&${what}&tz=${encodeURIComponent(zone)}`);
  let found;
  try {
    const asks = [...new Set(SECTIONS.map(ask))];
    const [service, qa, demo, ...answers] = await Promise.all([
      get(`/api/analytics/service?${params}`),
      get(`/api/analytics/qa?${params}&tz=${encodeURIComponent(zone)}`),
      !purpose || purpose === DEMO ? outcomes("group_by=outcome", demoParams) : none,
      ...asks.map((what) => (purpose === DEMO ? none : outcomes(what))),
    ]);
    found = { service, qa, demo: demo.rows, rows: Object.fromEntries(asks.map((what, i) => [what, answers[i].rows])) };
  } catch (err) {
    fail(err);
    return;
  }
  fillAgents(found.rows[ask({ group: "agent" })]);
  let decided = { total: 0, settled: 0 };
  for (const section of [...SECTIONS, DEMO_SECTION, QA_SECTION]) {
    const shell = shells.get(section.id);
    const rows = found.rows[ask(section)];
    let made;
    if (section === QA_SECTION) made = qaSection(found.qa);
    else if (section === DEMO_SECTION) made = demoSection(found.demo, demos);
    else if (section.id === "category") made = categorySection(rows, returns);
    else if (section.id === "decision") made = decided = decisionSection(rows, returns);
    else if (section.rate) made = rateSection(section, rows, returns, span);
    else made = stackedSection(section, rows, returns, span);
    const tableNode = table(section.id, made.table, made.rows);
    // nothing to count here under this purpose: said in words, no empty chart
    let note = null;
    if (section === DEMO_SECTION && purpose && purpose !== DEMO) note = t("analytics.demo_other_purpose");
    else if (section !== DEMO_SECTION && section !== QA_SECTION && purpose === DEMO) note = t("analytics.demo_no_returns");
    fill(shell, section, note ? null : made.chart, tableNode, note);
    shell.node.dataset.rows = String(made.rows.length);
  }
  summary(found.service, decided, review);
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

function fillAgents(rows) {
  const select = $("analytics-filter-agent");
  const chosen = select.value;
  const known = new Map([...select.options].filter((o) => o.value).map((o) => [o.value, o.textContent]));
  for (const row of rows) if (row.key) known.set(row.key, row.label || t("analytics.agent_id", { id: row.key }));
  select.replaceChildren(
    new Option(t("analytics.any"), ""),
    ...[...known].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => new Option(name, id)),
  );
  select.value = chosen;
}

async function start() {
  const started = await startPage();
  if (!started) return;
  ({ vocabulary } = started);
  const box = $("analytics-sections");
  for (const section of [...SECTIONS, DEMO_SECTION, QA_SECTION]) {
    const shell = sectionShell(section);
    shells.set(section.id, shell);
    box.append(shell.node);
  }
  $("#analytics-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("analytics-period").addEventListener("change", load);
  for (const id of ["analytics-since", "analytics-until"]) {
    $(id).addEventListener("change", () => {
      $("analytics-period").value = "custom";
      load();
    });
  }
  for (const id of ["analytics-filter-purpose", "analytics-filter-agent"]) $(id).addEventListener("change", load);
  await load();
}

start();
