// Drainpipe's dashboard. It reads only the public read API (/api/v1/owners, /api/v1/series/<type>,
// /api/v1/events) with the API token kept in this tab's session storage, never in a URL.
"use strict";

// Each range asks the API to merge one-minute summaries exactly into points of `resolution` seconds.
const RANGES = {
  "2h": { seconds: 7200, resolution: 60 },
  "24h": { seconds: 86400, resolution: 600 },
  "72h": { seconds: 259200, resolution: 3600 },
  "7d": { seconds: 604800, resolution: 7200 },
};
const TOKEN_KEY = "drainpipe.token";
const REFRESH_MILLISECONDS = 60000;
// Platform-wide kinds (heroku[api]) concern every process type; the others belong to one dyno's type.
const APP_WIDE_KINDS = new Set(["deploy", "release", "scale", "config", "addon"]);
const MARKER_COLORS = {
  deploy: "#2b6fd6", release: "#2b6fd6", scale: "#8e44ad", config: "#138a72", addon: "#138a72",
  restart: "#d9730d", cycle: "#d9730d", start: "#2e9e4f", state: "#6b7280", stop: "#6b7280",
  exit: "#c0392b", error: "#c0392b",
};

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  owners: [],
  owner: null,
  processType: null,
  range: "2h",
  resolution: 60,    // seconds per point of the charts drawn
  utc: sessionStorage.getItem("drainpipe.utc") === "yes",
  drawn: null,       // the range and points of the charts drawn, to draw them again in another time zone
  charts: {},        // name → { graph, labels, markers (times drawn, ms) }
  hidden: {},        // chart name → Set of series labels the user switched off
  events: [],
  sync: null,
  generation: 0,     // a newer load makes the answers of an older one stale
  refreshTimer: null,
};

// For the browser test and the benchmark: the charts with their own data, and how many loads finished.
window.drainpipeDashboard = { state, loads: 0, lastLoad: null, lastError: null };

const $ = (selector) => document.querySelector(selector);

class AuthError extends Error {}

async function api(path, parameters) {
  const response = await fetch(`${path}?${new URLSearchParams(parameters)}`, {
    headers: { Authorization: `Bearer ${state.token}` },
  });
  if (response.status === 401) {
    throw new AuthError("The API token was not accepted: it is unknown, expired or revoked. "
      + "Sign in again with a current token from the tenants file.");
  }
  if (!response.ok) {
    throw new Error(`${path} answered ${response.status}: ${(await response.text()).trim()}`);
  }
  return response.json();
}

// The selected range as whole points: `to` is the end of the current point, `from` lies one range before it.
function rangeSpan() {
  const { seconds, resolution } = RANGES[state.range];
  const now = Math.floor(Date.now() / 1000);
  const to = Math.floor(now / resolution) * resolution + resolution;
  return { from: to - seconds, to, resolution };
}

function showMessage(text, kind) {
  const message = $("#message");
  message.textContent = text || "";
  message.className = kind || "";
  message.hidden = !text;
}

function showSignIn(reason) {
  stopRefreshing();
  destroyCharts();
  $("#controls").hidden = true;
  $("#charts").hidden = true;
  $("#empty").hidden = true;
  $("#sign-in").hidden = false;
  showMessage(reason);
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.owners = [];
  showSignIn(reason);
}

function stopRefreshing() {
  if (state.refreshTimer) clearInterval(state.refreshTimer);
  state.refreshTimer = null;
}

// ---- owners and process types ----

function fillSelect(select, options, selected) {
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value, false, value === selected)));
}

function selectedOwner() {
  return state.owners.find((owner) => owner.id === state.owner);
}

function chooseProcessType() {
  const types = (selectedOwner()?.process_types || []).map((type) => type.name);
  if (!types.includes(state.processType)) state.processType = types.includes("web") ? "web" : types[0] || null;
  fillSelect($("#process-type"), types.map((name) => [name, name]), state.processType);
}

async function loadOwners(span) {
  const answer = await api("/api/v1/owners", { from: span.from, to: span.to });
  state.owners = answer.owners;
  if (!state.owners.some((owner) => owner.id === state.owner)) {
    // Open the first app that has data in the range, else the first app.
    const withData = state.owners.find((owner) => owner.process_types.length > 0);
    state.owner = (withData || state.owners[0])?.id || null;
  }
  fillSelect($("#owner"), state.owners.map((owner) => [owner.id, owner.name]), state.owner);
  chooseProcessType();
}

function showLag() {
  const type = selectedOwner()?.process_types.find((entry) => entry.name === state.processType);
  const lag = $("#lag");
  if (!type) {
    lag.textContent = "";
    return;
  }
  const age = Math.max(0, Math.floor(Date.now() / 1000) - type.newest_window_start_epoch);
  lag.textContent = `newest point ${formatAge(age)} old`;
  lag.className = age > 900 ? "very-stale" : age > 300 ? "stale" : "";
  lag.dataset.ageSeconds = age;
}

function formatAge(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} days`;
}

// ---- loading ----

async function refresh() {
  const generation = ++state.generation;
  try {
    const span = rangeSpan();
    await loadOwners(span);
    if (generation !== state.generation) return;
    await loadCharts(generation, span);
  } catch (error) {
    failed(error, generation);
  }
}

function failed(error, generation) {
  window.drainpipeDashboard.lastError = String(error.message || error);
  if (error instanceof AuthError) {
    signOut(error.message);
  } else if (generation === state.generation) {
    showMessage(`Could not load the charts: ${error.message}`);
  }
}

async function reloadCharts() {
  const generation = ++state.generation;
  try {
    await loadCharts(generation, rangeSpan());
  } catch (error) {
    failed(error, generation);
  }
}

async function loadCharts(generation, span) {
  $("#sign-in").hidden = true;
  $("#controls").hidden = false;
  showLag();
  const owner = selectedOwner();
  if (!owner || !state.processType) {
    destroyCharts();
    $("#charts").hidden = true;
    $("#empty").hidden = false;
    $("#empty-app").textContent = owner ? owner.name : "this token's apps";
    $("#empty-command").textContent =
      `heroku drains:add https://user:secret@${location.host}/logs --app ${owner ? owner.name : "<app>"}`;
    showMessage("");
    finishLoad(span);
    return;
  }
  const query = {
    owner: owner.id, process_type: state.processType, from: span.from, to: span.to,
    resolution: span.resolution,
  };
  const series = (type) => api(`/api/v1/series/${type}`, query).then((answer) => answer.points);
  const [router, errors, memory, load, custom, events] = await Promise.all([
    series("router-requests"), series("dyno-errors"), series("dyno-memory"), series("dyno-load"),
    series("custom-metrics"), loadEvents(owner.id, span),
  ]);
  if (generation !== state.generation) return;
  $("#empty").hidden = true;
  $("#charts").hidden = false;
  showMessage(events.problem ? `Events are not shown: ${events.problem}` : "", "info");
  state.events = events.list;
  drawAll(span, { router, errors, memory, load, custom });
  showEvents();
  finishLoad(span);
}

function finishLoad(span) {
  $("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  span.processType = state.processType;
  span.owner = state.owner;
  span.range = state.range;
  const dashboard = window.drainpipeDashboard;
  dashboard.lastLoad = span;
  dashboard.lastError = null;
  dashboard.loads += 1;
  performance.mark(`drainpipe-load-${dashboard.loads}`);
}

async function loadEvents(owner, span) {
  try {
    const answer = await api("/api/v1/events", { owner, from: span.from, to: span.to });
    const list = answer.events
      .map((event) => ({ ...event, epoch: Date.parse(event.time) / 1000 }))
      .filter((event) => APP_WIDE_KINDS.has(event.kind) || !event.process_type
        || event.process_type === state.processType);
    return { list };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    return { list: [], problem: error.message };
  }
}

// ---- charts ----

function grid(span) {
  const times = [];
  for (let time = span.from; time < span.to; time += span.resolution) times.push(time);
  return times;
}

// One row per point of the range, so every chart shares the time axis; null where nothing was stored.
function rows(times, points, columns, missing = null) {
  const byTime = new Map(points.map((point) => [point.window_start_epoch, point]));
  return times.map((time) => {
    const point = byTime.get(time);
    return [new Date(time * 1000), ...columns.map((column) => (point ? column(point) : missing))];
  });
}

const statistic = (field, name) => (point) => point.fields[field]?.[name] ?? null;
const perMinute = (point, count) => count / (point.period_seconds / 60);
const countPerMinute = (name) => (point) => perMinute(point, point.counts[name] || 0);

function drawAll(span, data) {
  destroyCharts();
  state.drawn = { span, data };
  state.resolution = span.resolution;
  const times = grid(span);
  const response = [
    ["median", statistic("service_ms", "p50")], ["P95", statistic("service_ms", "p95")],
    ["P99", statistic("service_ms", "p99")], ["max", statistic("service_ms", "max")],
  ];
  draw("response", $('[data-chart="response"]'), times, data.router, response, { ylabel: "ms" });

  const classes = ["1xx", "2xx", "3xx", "4xx", "5xx"].map((name) => [name, countPerMinute(`status_${name}`)]);
  draw("throughput", $('[data-chart="throughput"]'), times, data.router, classes, {
    stackedGraph: true, fillGraph: true, fillAlpha: 0.5,
    colors: ["#9aa5b8", "#2e9e4f", "#2b6fd6", "#d9a40d", "#c0392b"],
  });

  // A minute without errors has no dyno-errors summary: it counts zero, not "no data".
  const codes = [...new Set(data.errors.flatMap((point) => Object.keys(point.counts)))].sort();
  const errorColumns = codes.length ? codes.map((code) => [code, countPerMinute(code)])
    : [["H- and R-codes", () => 0]];
  draw("errors", $('[data-chart="errors"]'), times, data.errors, errorColumns, { stepPlot: true }, 0);

  const memory = [];
  for (const [field, label] of [["memory_total", "total"], ["memory_rss", "RSS"], ["memory_swap", "swap"]]) {
    memory.push([`${label} mean`, statistic(field, "mean")], [`${label} max`, statistic(field, "max")]);
  }
  memory.push(["quota", statistic("memory_quota", "max")]);
  draw("memory", $('[data-chart="memory"]'), times, data.memory, memory, {
    ylabel: "MB", series: { quota: { strokePattern: Dygraph.DASHED_LINE, strokeWidth: 2, color: "#c0392b" } },
  });

  draw("load", $('[data-chart="load"]'), times, data.load,
    [["mean", statistic("load_avg_1m", "mean")], ["max", statistic("load_avg_1m", "max")]], {});

  const metrics = [...new Set(data.custom.map((point) => point.metric))].sort();
  const container = $("#custom");
  $("#no-custom").hidden = metrics.length > 0;
  for (const metric of metrics) {
    const element = document.createElement("div");
    element.className = "chart";
    element.dataset.chart = `custom:${metric}`;
    const title = document.createElement("h3");
    title.textContent = metric;
    element.append(title);
    container.append(element);
    const points = data.custom.filter((point) => point.metric === metric);
    draw(`custom:${metric}`, element, times, points, [
      ["mean", statistic("value", "mean")], ["max", statistic("value", "max")],
      ["sum per minute", (point) => perMinute(point, point.fields.value?.sum ?? 0)],
    ], {});
  }

  const graphs = Object.values(state.charts).map((chart) => chart.graph);
  if (graphs.length > 1) state.sync = Dygraph.synchronize(graphs, { selection: true, zoom: true, range: false });
}

function draw(name, element, times, points, columns, options, missing = null) {
  for (const old of element.querySelectorAll(".legend, .plot, .toggles, .empty")) old.remove();
  const legend = document.createElement("div");
  legend.className = "legend";
  const plot = document.createElement("div");
  plot.className = "plot";
  const toggles = document.createElement("div");
  toggles.className = "toggles";
  element.append(legend, plot, toggles);
  if (points.length === 0) {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = `No ${name} data for ${state.processType} in this range.`;
    element.append(empty);
  }
  const labels = columns.map(([label]) => label);
  const hidden = state.hidden[name] || (state.hidden[name] = new Set());
  const chart = { labels, markers: [], points: points.length };
  chart.graph = new Dygraph(plot, rows(times, points, columns.map(([, value]) => value), missing), {
    labels: ["time", ...labels],
    labelsDiv: legend,
    legend: "always",
    visibility: labels.map((label) => !hidden.has(label)),
    dateWindow: [times[0] * 1000, (times[times.length - 1] + state.resolution) * 1000],
    highlightCircleSize: 3,
    labelsUTC: state.utc,
    strokeWidth: 1.5,
    axes: { y: { axisLabelWidth: 60 } },
    underlayCallback: (context, area, graph) => drawMarkers(chart, context, area, graph),
    ...options,
  });
  labels.forEach((label, index) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !hidden.has(label);
    box.addEventListener("change", () => {
      if (box.checked) hidden.delete(label); else hidden.add(label);
      chart.graph.setVisibility(index, box.checked);
    });
    const toggle = document.createElement("label");
    toggle.append(box, ` ${label}`);
    toggles.append(toggle);
  });
  state.charts[name] = chart;
}

// Events as vertical lines under every chart's series, coloured by kind; `chart.markers` records what was drawn.
function drawMarkers(chart, context, area, graph) {
  chart.markers = [];
  const [start, end] = graph.xAxisRange();
  for (const event of state.events) {
    const time = event.epoch * 1000;
    if (time < start || time > end) continue;
    const x = graph.toDomXCoord(time);
    context.save();
    context.strokeStyle = MARKER_COLORS[event.kind] || "#6b7280";
    context.lineWidth = 1.5;
    context.setLineDash(APP_WIDE_KINDS.has(event.kind) ? [] : [4, 3]);
    context.beginPath();
    context.moveTo(x, area.y);
    context.lineTo(x, area.y + area.h);
    context.stroke();
    context.restore();
    chart.markers.push({ time, kind: event.kind });
  }
}

function destroyCharts() {
  if (state.sync) state.sync.detach();
  state.sync = null;
  for (const chart of Object.values(state.charts)) chart.graph.destroy();
  state.charts = {};
  $("#custom").replaceChildren();
}

function showEvents() {
  $("#no-events").hidden = state.events.length > 0;
  const body = $("#events tbody");
  body.replaceChildren(...[...state.events].reverse().slice(0, 100).map((event) => {
    const row = document.createElement("tr");
    const time = new Date(event.time);
    const shown = state.utc ? time.toISOString().replace("T", " ").slice(0, 19) + " UTC" : time.toLocaleString();
    for (const text of [shown, event.kind, event.dyno || event.process_type || "app",
      event.text]) {
      const cell = document.createElement("td");
      cell.textContent = text || "";
      row.append(cell);
    }
    return row;
  }));
}

// ---- start ----

function start() {
  $("#sign-in").addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    state.token = $("#token").value.trim();
    $("#token").value = "";
    sessionStorage.setItem(TOKEN_KEY, state.token);
    showMessage("");
    signedIn();
  });
  $("#sign-out").addEventListener("click", () => signOut(""));
  $("#utc").checked = state.utc;
  $("#utc").addEventListener("change", (changed) => {
    state.utc = changed.target.checked;
    sessionStorage.setItem("drainpipe.utc", state.utc ? "yes" : "no");
    if (state.drawn) drawAll(state.drawn.span, state.drawn.data);
    showEvents();
  });
  $("#owner").addEventListener("change", (changed) => {
    state.owner = changed.target.value;
    chooseProcessType();
    reloadCharts();
  });
  $("#process-type").addEventListener("change", (changed) => {
    state.processType = changed.target.value;
    reloadCharts();
  });
  // The range is kept in the address (#range=7d), so a reload or a shared link opens the same range.
  const linked = new URLSearchParams(location.hash.slice(1)).get("range");
  if (linked in RANGES) state.range = linked;
  for (const button of document.querySelectorAll("[data-range]")) {
    button.classList.toggle("selected", button.dataset.range === state.range);
    button.addEventListener("click", () => {
      state.range = button.dataset.range;
      history.replaceState(null, "", `#range=${state.range}`);
      for (const other of document.querySelectorAll("[data-range]")) {
        other.classList.toggle("selected", other === button);
      }
      refresh();
    });
  }
  if (state.token) signedIn(); else showSignIn("");
}

function signedIn() {
  stopRefreshing();
  state.refreshTimer = setInterval(refresh, REFRESH_MILLISECONDS);
  refresh();
}

start();
