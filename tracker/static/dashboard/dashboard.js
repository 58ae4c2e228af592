// The dashboard: draws what GET /api/v1/figures/overview/ answers (the engine's stored figures;
// nothing here computes a figure), with Chart.js served by the tracker itself.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const COLOURS = { displaced: "#1f6fb4", returned: "#2c9c4a", killed: "#c62828", injured: "#e07b00" };
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a"];
  const number = new Intl.NumberFormat("en");
  const status = document.getElementById("status");
  let overview = null;
  let metric = config.metric;

  // --- Links ----------------------------------------------------------------------------------
  function explanationUrl(pcode, day, name) {
    return `${config.explanation_url}?area=${encodeURIComponent(pcode)}&date=${day}&metric=${name}`;
  }

  function dashboardUrl(pcode) {
    const query = new URLSearchParams({
      area: pcode, date_from: config.date_from, date_to: config.date_to, metric: metric,
    });
    return `${config.dashboard_url}?${query}`;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  function arabic(text) {
    return element("bdi", { lang: "ar", dir: "rtl" }, text || "");
  }

  function shown(value) {
    return value === null || value === undefined ? "-" : number.format(value);
  }

  // --- Days -----------------------------------------------------------------------------------
  function everyDay(first, last) {
    const days = [];
    for (let d = new Date(`${first}T00:00:00Z`); d <= new Date(`${last}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
    return days;
  }

  // Chart.js asks for every tick's label while it lays an axis out: format each day once.
  const dayFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  const shortDays = new Map();
  function shortDay(day) {
    if (!shortDays.has(day)) shortDays.set(day, dayFormat.format(new Date(`${day}T00:00:00Z`)));
    return shortDays.get(day);
  }

  // A year has 365 labels: measuring a sample of them (all alike in length) is enough to lay the
  // axis out, and much quicker than measuring each.
  function dayTicks(days) {
    return { callback: (value, index) => shortDay(days[index]), maxRotation: 0, autoSkipPadding: 8, sampleSize: 12 };
  }

  // --- The daily charts: value, low-high band, cumulative ------------------------------------
  function dailyChart(name, days, rows) {
    const colour = COLOURS[name];
    const row = (day) => rows.get(day);
    const has = (day) => row(day) !== undefined && row(day)[name] !== null;
    return new Chart(document.getElementById(`chart-${name}`), {
      data: {
        labels: days,
        datasets: [
          {
            type: "bar", label: "low–high", order: 3, yAxisID: "y",
            data: days.map((d) => (has(d) ? [row(d)[`${name}_low`], row(d)[`${name}_high`]] : null)),
            backgroundColor: `${colour}33`, borderColor: `${colour}99`, borderWidth: 1,
            barPercentage: 0.7, categoryPercentage: 0.9,
          },
          {
            type: "line", label: "value", order: 1, yAxisID: "y",
            data: days.map((d) => (row(d) ? row(d)[name] : null)),
            borderColor: colour, backgroundColor: colour, pointRadius: 3, borderWidth: 2,
          },
          {
            type: "line", label: "cumulative", order: 2, yAxisID: "cumulative",
            data: days.map((d) => (row(d) ? row(d)[`${name}_cumulative`] : null)),
            borderColor: "#5b6770", borderDash: [5, 3], borderWidth: 1.5, pointRadius: 0,
            stepped: "before", spanGaps: true, // level until the next row
          },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: dayTicks(days) },
          y: { beginAtZero: true, title: { display: true, text: "per day" } },
          cumulative: {
            position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            title: { display: true, text: "cumulative" },
          },
        },
        plugins: {
          title: { display: true, text: config.metrics[name], align: "start", font: { size: 15 } },
          subtitle: { display: !days.some(has), text: "not reported on these days", align: "start" },
          legend: { position: "top", align: "end", labels: { boxWidth: 14 } },
          tooltip: {
            callbacks: {
              title: (items) => shortDay(days[items[0].dataIndex]),
              label: (item) => {
                const raw = item.raw;
                if (raw === null || raw === undefined) return null;
                return Array.isArray(raw) ? `low–high: ${shown(raw[0])}–${shown(raw[1])}` : `${item.dataset.label}: ${shown(raw)}`;
              },
              footer: (items) => {
                const found = row(days[items[0].dataIndex]);
                return found && found.pending_reports ? `${found.pending_reports} pending report(s)` : "";
              },
            },
          },
        },
        onClick: (event, elements, chart) => {
          const hit = chart.getElementsAtEventForMode(event, "index", { intersect: false }, false);
          if (hit.length) window.location.href = explanationUrl(config.area, days[hit[0].index], name);
        },
      },
    });
  }

  // --- The areas below: stacked daily values, and the sketch map -----------------------------
  function childSeries(days) {
    const { columns, rows } = overview.children_figures;
    const area = columns.indexOf("area"), date = columns.indexOf("date"), at = columns.indexOf(metric);
    const series = new Map();
    for (const row of rows) {
      if (row[at] === null) continue;
      if (!series.has(row[area])) series.set(row[area], new Map());
      series.get(row[area]).set(row[date], row[at]);
    }
    return series;
  }

  function breakdownChart(days, ownRows) {
    const series = childSeries(days);
    const children = overview.children.filter((child) => series.has(child.pcode));
    const datasets = children.map((child, i) => ({
      type: "bar", label: `${child.name_en} (${child.pcode})`, pcode: child.pcode, stack: "below",
      data: days.map((d) => (series.get(child.pcode).has(d) ? series.get(child.pcode).get(d) : null)),
      backgroundColor: PALETTE[i % PALETTE.length],
    }));
    datasets.push({
      type: "line", label: `${overview.area.name_en} (its value)`, stack: "itself", order: -1,
      data: days.map((d) => (ownRows.get(d) ? ownRows.get(d)[metric] : null)),
      borderColor: "#222", backgroundColor: "#222", pointRadius: 2, borderWidth: 1.5,
    });
    return new Chart(document.getElementById("chart-breakdown"), {
      data: { labels: days, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        scales: {
          x: { stacked: true, ticks: dayTicks(days) },
          y: { stacked: true, beginAtZero: true },
        },
        plugins: {
          title: { display: true, text: `${config.metrics[metric]} per day, by area below`, align: "start" },
          legend: { position: "bottom", labels: { boxWidth: 12 } },
        },
        onClick: (event, elements, chart) => {
          const pcode = elements.length && chart.data.datasets[elements[0].datasetIndex].pcode;
          if (pcode) window.location.href = dashboardUrl(pcode);
        },
      },
    });
  }

  const mapLabels = {
    id: "mapLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = "11px DejaVu Sans, sans-serif";
      ctx.fillStyle = "#333";
      ctx.textBaseline = "middle";
      chart.getDatasetMeta(0).data.forEach((point, i) => {
        const place = chart.data.datasets[0].data[i];
        ctx.fillText(place.name, point.x + place.r + 3, point.y);
      });
      ctx.restore();
    },
  };

  function mapChart() {
    const placed = overview.children.filter((c) => c.latitude !== null && c.longitude !== null);
    const values = placed.map((c) => c.in_period[metric]).filter((v) => v);
    const largest = Math.max(1, ...values);
    const data = placed.map((child) => {
      const value = child.in_period[metric];
      return {
        x: child.longitude, y: child.latitude, r: value ? 4 + 30 * Math.sqrt(value / largest) : 3,
        value, pcode: child.pcode, name: child.name_en, name_ar: child.name_ar,
      };
    });
    const xs = data.map((p) => p.x), ys = data.map((p) => p.y);
    const pad = 0.15 * Math.max(0.2, Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    const [west, east, south, north] = [Math.min(...xs) - pad, Math.max(...xs) + 2 * pad,
      Math.min(...ys) - pad, Math.max(...ys) + pad];
    const squeeze = Math.cos(((north + south) / 2) * Math.PI / 180); // a degree east is shorter
    const ratio = Math.min(2.2, Math.max(0.7, ((east - west) * squeeze) / (north - south)));
    const digits = north - south > 3 ? 1 : 2;
    return new Chart(document.getElementById("chart-map"), {
      type: "bubble",
      data: {
        datasets: [{
          label: config.metrics[metric], data,
          backgroundColor: data.map((p) => (p.value ? `${COLOURS[metric]}99` : "#b0b6bb88")),
          borderColor: data.map((p) => (p.value ? COLOURS[metric] : "#8a9095")),
        }],
      },
      plugins: [mapLabels],
      options: {
        responsive: true, aspectRatio: ratio, animation: false,
        scales: {
          x: { min: west, max: east, ticks: { callback: (v) => `${v.toFixed(digits)}°E` }, grid: { color: "#eee" } },
          y: { min: south, max: north, ticks: { callback: (v) => `${v.toFixed(digits)}°N` }, grid: { color: "#eee" } },
        },
        plugins: {
          legend: { display: false },
          title: { display: true, text: `${config.metrics[metric]} added over the period`, align: "start" },
          tooltip: {
            callbacks: {
              label: (item) => `${item.raw.name} ${item.raw.name_ar} (${item.raw.pcode}): ${shown(item.raw.value)}`,
            },
          },
        },
        onClick: (event, elements, chart) => {
          if (elements.length) window.location.href = dashboardUrl(chart.data.datasets[0].data[elements[0].index].pcode);
        },
      },
    });
  }

  // --- Tables ---------------------------------------------------------------------------------
  function numberLink(value, pcode, day, name) {
    if (value === null || value === undefined) return "-";
    return element("a", { href: explanationUrl(pcode, day, name) }, number.format(value));
  }

  function fillTotals() {
    const totals = document.getElementById("totals");
    totals.replaceChildren(...Object.keys(config.metrics).map((name) => {
      const value = overview.area.in_period[name];
      return element("a", { href: explanationUrl(config.area, config.date_to, name), style: `--colour: ${COLOURS[name]}`, "data-metric": name },
        element("div", {}, config.metrics[name]),
        element("div", { class: "big" }, shown(value)),
        element("div", { class: "note" }, value === null ? "not reported" : "added over the period, counted without overlap"));
    }));
  }

  // A year is 365 rows of links: built as one string, far quicker than element by element.
  function escaped(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function linkHtml(value, pcode, day, name) {
    if (value === null || value === undefined) return "-";
    return `<a href="${escaped(explanationUrl(pcode, day, name))}">${number.format(value)}</a>`;
  }

  function fillFiguresTable() {
    const names = Object.keys(config.metrics);
    const head = names.map((name) => `<th>${escaped(config.metrics[name])} (low–high)</th><th>cumulative</th>`);
    const body = overview.figures.map((row) => {
      const cells = names.map((name) => {
        const band = row[name] === null ? "" : ` <small>(${shown(row[`${name}_low`])}–${shown(row[`${name}_high`])})</small>`;
        return `<td data-metric="${name}">${linkHtml(row[name], config.area, row.date, name)}${band}</td>`
          + `<td data-cumulative="${name}">${linkHtml(row[`${name}_cumulative`], config.area, row.date, name)}</td>`;
      });
      return `<tr data-date="${escaped(row.date)}"><td>${escaped(row.date)}</td>${cells.join("")}`
        + `<td>${row.report_count}</td><td>${row.agency_count}</td><td>${row.pending_reports}</td></tr>`;
    });
    if (!body.length) body.push(`<tr><td colspan="${2 * names.length + 4}">No verified report covers these days.</td></tr>`);
    document.getElementById("figures-table").innerHTML = `<thead><tr><th>day</th>${head.join("")}`
      + `<th>reports</th><th>agencies</th><th>pending</th></tr></thead><tbody>${body.join("")}</tbody>`;
  }

  function fillChildrenTable() {
    const names = Object.keys(config.metrics);
    const head = element("tr", {}, element("th", {}, "area"), element("th", {}, "p-code"));
    for (const name of names) head.append(element("th", {}, `${config.metrics[name]}, added`));
    const body = element("tbody");
    for (const child of overview.children) {
      const tr = element("tr", { "data-pcode": child.pcode },
        element("td", { class: "name" }, element("a", { href: dashboardUrl(child.pcode) }, child.name_en), " ", arabic(child.name_ar)),
        element("td", {}, child.pcode));
      for (const name of names) tr.append(element("td", {}, numberLink(child.in_period[name], child.pcode, config.date_to, name)));
      body.append(tr);
    }
    document.getElementById("children-table").replaceChildren(element("thead", {}, head), body);
  }

  // --- Drawing, and redrawing when another metric is picked ----------------------------------
  const charts = {};

  function drawBelow(days, rows) {
    for (const name of ["breakdown", "map"]) if (charts[name]) charts[name].destroy();
    if (!overview.children.length) {
      document.getElementById("no-children").hidden = false;
      document.querySelector("#below .pair").hidden = true;
      document.getElementById("children-table").hidden = true;
      return;
    }
    charts.breakdown = breakdownChart(days, rows);
    charts.map = mapChart();
  }

  function draw(answer) {
    overview = answer;
    const days = everyDay(config.date_from, config.date_to);
    const rows = new Map(overview.figures.map((row) => [row.date, row]));
    for (const name of Object.keys(config.metrics)) charts[name] = dailyChart(name, days, rows);
    drawBelow(days, rows);
    fillTotals();
    fillFiguresTable();
    fillChildrenTable();
    document.getElementById("metric").addEventListener("change", (event) => {
      metric = event.target.value;
      document.querySelector("form.period input[name=metric]").value = metric;
      window.history.replaceState(null, "", dashboardUrl(config.area));
      drawBelow(days, rows);
      fillChildrenTable();
    });
    status.textContent = overview.figures.length ? "" : "No verified report covers these days.";
    document.body.dataset.state = "ready";
    document.body.dataset.drawnMs = Math.round(performance.now()); // since the page was asked for
  }

  function fail(problem) {
    const detail = problem && typeof problem === "object" ? JSON.stringify(problem) : String(problem);
    status.textContent = `The figures could not be loaded: ${detail}`;
    status.className = "error";
    document.body.dataset.state = "error";
  }

  // --- Picking an area ------------------------------------------------------------------------
  function search() {
    const input = document.getElementById("area-search");
    const list = document.getElementById("area-results");
    let timer = null, asked = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = input.value.trim();
        if (!text) { list.hidden = true; return; }
        const mine = ++asked;
        const response = await fetch(`${config.areas_url}?${new URLSearchParams({ q: text, page_size: 12 })}`,
          { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (mine !== asked || !response.ok) return;
        const { results } = await response.json();
        list.replaceChildren(...results.map((area) => element("li", {},
          element("a", { href: dashboardUrl(area.pcode), "data-pcode": area.pcode },
            `${area.name_en} `, arabic(area.name_ar), " ",
            element("span", { class: "kind" }, `${config.levels[area.level]} ${area.pcode}`)))));
        if (!results.length) list.replaceChildren(element("li", {}, element("span", { class: "kind" }, `No area matches “${text}”.`)));
        list.hidden = false;
      }, 200);
    });
    input.addEventListener("keydown", (event) => {
      const first = list.querySelector("a");
      if (event.key === "Enter" && first) { event.preventDefault(); first.click(); }
      if (event.key === "Escape") list.hidden = true;
    });
  }

  search();
  // The page asked for the figures already (its head), while this script and Chart.js loaded.
  (window.dashboardOverview || fetch(config.overview_url, { headers: { Accept: "application/json" }, credentials: "same-origin" }))
    .then((response) => response.json().then((body) => (response.ok ? body : Promise.reject(body))))
    .then(draw)
    .catch(fail);
})();
