/*
 * sluice web console.
 *
 * A client of the worker's public REST API, nothing else:
 *   GET  /connectors?expand=status&expand=info   states, workers, configs (the whole cluster)
 *   GET  /metrics/summary                         numbers (rates, lag, errors, DLQ, history);
 *                                                 optional: when it answers 404 the numbers show "—"
 *   GET  /connector-plugins[/{plugin}/config]     the create/edit form, built from the definitions
 *   PUT  /connector-plugins/{plugin}/config/validate
 *   PUT  /connectors/{name}/config                create or update
 *   PUT  .../pause|resume|stop, POST .../restart, POST .../tasks/{id}/restart, DELETE /connectors/{name}
 *
 * No framework and no build step: the DOM is built with h() from text nodes only (connector
 * names, configs and traces are never parsed as HTML), and charts are inline SVG.
 * The page refreshes itself every REFRESH_MS; a failed request never blanks it: REST errors
 * ({"error_code", "message"}) are shown as messages, a network failure as a banner while the
 * loop keeps retrying.
 */
"use strict";

(() => {
  const REFRESH_MS = 2500;
  const FETCH_TIMEOUT_MS = 8000;
  const SPARK_WINDOW_MS = 5 * 60 * 1000;
  const CHART_WINDOW_MS = 10 * 60 * 1000;
  const HISTORY_STEP_MS = 5000;
  const STATES = ["RUNNING", "PAUSED", "STOPPED", "FAILED", "UNASSIGNED", "RESTARTING"];

  /** Everything the page knows; render functions read it, never the network. */
  const state = {
    connectors: null, // last answer of /connectors?expand=status&expand=info, or null before the first
    metrics: null, // last answer of /metrics/summary, or null when unavailable
    metricsProblem: "loading…", // why there are no numbers ("" when there are)
    listProblem: null, // a REST error reading the connector list, shown as a message
    reachable: true,
    lastOk: 0, // Date.now() of the last successful refresh
    lastNetworkError: "",
    serverInfo: null, // GET /
    selected: null, // name of the connector in the detail pane
    filter: "",
    openDetails: new Set(), // keys of <details> elements the user opened (kept across renders)
    busy: false, // an action is in flight: its buttons are disabled
  };

  // ------------------------------------------------------------------------------------------
  // DOM helpers

  /**
   * Build an element. attrs: {class, text, dataset: {...}, onclick: fn, ...attributes};
   * children: nodes, strings (as text), arrays of them, null/undefined/false (skipped).
   */
  function h(tag, attrs, ...children) {
    const el = tag.startsWith("svg:")
      ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
      : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") el.textContent = String(value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(el, child);
      else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  /**
   * Replace the children of `container` by the sections in `specs` ({key, sig, build}), keeping
   * the existing node of any section whose signature did not change: an open trace, a text
   * selection or a focused button survives the refresh.
   */
  function patchSections(container, specs) {
    const existing = new Map();
    for (const child of container.children) existing.set(child.dataset.section, child);
    const nodes = specs.map((spec) => {
      const prev = existing.get(spec.key);
      if (prev && prev.dataset.sig === spec.sig) return prev;
      const node = spec.build();
      node.dataset.section = spec.key;
      node.dataset.sig = spec.sig;
      return node;
    });
    const current = [...container.children];
    const sameOrder = current.length === nodes.length && current.every((c, i) => c.dataset.section === nodes[i].dataset.section);
    if (sameOrder) {
      current.forEach((c, i) => {
        if (c !== nodes[i]) c.replaceWith(nodes[i]);
      });
    } else {
      container.replaceChildren(...nodes);
    }
  }

  /** A <details> whose open state is remembered under `key` across re-renders. */
  function details(key, summary, body, openByDefault = false) {
    const open = state.openDetails.has(key) || (openByDefault && !state.openDetails.has("!" + key));
    const el = h("details", { open, dataset: { key } }, h("summary", null, summary), body);
    el.addEventListener("toggle", () => {
      if (el.open) {
        state.openDetails.add(key);
        state.openDetails.delete("!" + key);
      } else {
        state.openDetails.delete(key);
        state.openDetails.add("!" + key);
      }
    });
    return el;
  }

  // ------------------------------------------------------------------------------------------
  // Formatting

  function fmtNumber(x, decimals = 0) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    const abs = Math.abs(x);
    if (abs >= 1e9) return (x / 1e9).toFixed(1) + "G";
    if (abs >= 1e6) return (x / 1e6).toFixed(1) + "M";
    if (abs >= 1e4) return (x / 1e3).toFixed(1) + "k";
    if (decimals && abs < 100 && !Number.isInteger(x)) return x.toFixed(abs < 10 ? decimals : 1);
    return Math.round(x).toLocaleString("en-US");
  }

  const fmtRate = (x) => fmtNumber(x, 2);

  /** A timestamp as HH:MM:SS today, else YYYY-MM-DD HH:MM (local time). */
  function fmtTime(ms) {
    if (!ms) return "never";
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (d.toDateString() === new Date().toDateString()) return `${time}:${pad(d.getSeconds())}`;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  }

  function ago(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    return `${Math.floor(s / 3600)} h ago`;
  }

  function describeError(err) {
    if (err instanceof RestError) return `${err.code}: ${err.message}`;
    if (err instanceof NetworkError) return `worker unreachable (${err.message})`;
    return err && err.message ? err.message : String(err);
  }

  function badge(stateName, extraTitle) {
    const known = STATES.includes(stateName);
    return h("span", {
      class: `badge state-${known ? stateName.toLowerCase() : "unknown"}`,
      title: extraTitle || null,
      text: stateName || "UNKNOWN",
    });
  }

  /** The line of a trace that names the error: the first (Java's layout, which sluice's traces
   * follow), or the last of a Python traceback. */
  function traceHeadline(trace) {
    const lines = String(trace).split("\n").map((l) => l.trim()).filter(Boolean);
    if (!lines.length) return "";
    return lines[0].startsWith("Traceback") ? lines[lines.length - 1] : lines[0];
  }

  function simpleClass(name) {
    const s = String(name || "");
    return s.slice(Math.max(s.lastIndexOf("."), s.lastIndexOf(":")) + 1);
  }

  // ------------------------------------------------------------------------------------------
  // REST

  /** The worker answered with an error: `code` is its error_code, `message` its message. */
  class RestError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** No answer at all: connection refused, reset, or timed out. */
  class NetworkError extends Error {}

  /** One API call; resolves to the parsed JSON body (null when empty), rejects with the errors above. */
  async function api(method, path, body) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let resp;
    let text;
    try {
      resp = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
        cache: "no-store",
      });
      text = await resp.text();
    } catch (e) {
      throw new NetworkError(ctrl.signal.aborted ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : (e && e.message) || String(e));
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!resp.ok) {
      if (data && typeof data === "object" && "message" in data) {
        throw new RestError(resp.status, data.error_code ?? resp.status, String(data.message));
      }
      const detail = typeof data === "string" && data ? data.slice(0, 500) : `HTTP ${resp.status} ${resp.statusText}`;
      throw new RestError(resp.status, resp.status, detail);
    }
    return data;
  }

  // ------------------------------------------------------------------------------------------
  // Messages and banner

  /** A message under the top bar: errors stay until dismissed, successes fade after a while. */
  function message(kind, text) {
    const box = $("messages");
    const el = h(
      "div",
      { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" },
      h("span", { class: "message-text", text }),
      h("button", { type: "button", class: "ghost", title: "Dismiss", onclick: () => el.remove(), text: "✕" }),
    );
    box.append(el);
    while (box.children.length > 5) box.firstElementChild.remove();
    if (kind !== "error") setTimeout(() => el.remove(), 5000);
    return el;
  }

  function showError(what, err) {
    message("error", `${what} — ${describeError(err)}`);
  }

  let consoleErrorShown = false;

  /** A bug in this page: say so instead of leaving a half-drawn page. */
  function consoleError(err) {
    if (consoleErrorShown) return;
    consoleErrorShown = true;
    message("error", `Console error (the page keeps refreshing): ${err && err.message ? err.message : err}`);
  }

  window.addEventListener("error", (e) => consoleError(e.error || e.message));
  window.addEventListener("unhandledrejection", (e) => consoleError(e.reason));

  function renderBanner() {
    const banner = $("banner");
    if (state.reachable) {
      banner.hidden = true;
      banner.textContent = "";
      document.body.classList.remove("unreachable");
      return;
    }
    const since = state.lastOk ? ` Last successful refresh ${ago(state.lastOk)}.` : "";
    banner.textContent = `Worker unreachable — retrying every ${REFRESH_MS / 1000} s (${state.lastNetworkError}).${since}`;
    banner.hidden = false;
    document.body.classList.add("unreachable");
  }

  // ------------------------------------------------------------------------------------------
  // Metrics: index the summary by connector and task, sum tasks per connector

  function metricsByTask() {
    const index = new Map();
    for (const t of (state.metrics && state.metrics.tasks) || []) index.set(`${t.connector}\u0000${t.task}`, t);
    return index;
  }

  /** The summed numbers of `tasks` (metrics entries), or null when there are none. */
  function aggregate(tasks) {
    if (!state.metrics || tasks.length === 0) return null;
    const sum = (field) => tasks.reduce((acc, t) => acc + (Number(t[field]) || 0), 0);
    const lags = tasks.map((t) => t.lag).filter((x) => x !== null && x !== undefined);
    const buckets = new Map();
    for (const t of tasks) {
      for (const point of t.history || []) {
        const slot = Math.round(point[0] / HISTORY_STEP_MS);
        const acc = buckets.get(slot) || [slot * HISTORY_STEP_MS, 0, 0];
        acc[1] += Number(point[1]) || 0;
        acc[2] += Number(point[2]) || 0;
        buckets.set(slot, acc);
      }
    }
    const inRate = sum("records_in_rate");
    const outRate = sum("records_out_rate");
    const history = [...buckets.values()].sort((a, b) => a[0] - b[0]);
    // The current rates as the newest point: the lines reach "now" and show from the first sample.
    const now = metricsNow();
    if (!history.length || history[history.length - 1][0] < now) history.push([now, inRate, outRate]);
    return {
      type: tasks[0].type,
      records_in_rate: inRate,
      records_out_rate: outRate,
      records_in_total: sum("records_in_total"),
      records_out_total: sum("records_out_total"),
      lag: lags.length ? lags.reduce((a, b) => a + b, 0) : null,
      errors_total: sum("errors_total"),
      failures_total: sum("failures_total"),
      records_skipped: sum("records_skipped"),
      dlq_produce_requests: sum("dlq_produce_requests"),
      dlq_produce_failures: sum("dlq_produce_failures"),
      last_error_timestamp: Math.max(0, ...tasks.map((t) => Number(t.last_error_timestamp) || 0)),
      partitions: tasks.flatMap((t) => t.partitions || []),
      history,
    };
  }

  function metricsNow() {
    return (state.metrics && Number(state.metrics.time_ms)) || Date.now();
  }

  // ------------------------------------------------------------------------------------------
  // Charts (inline SVG)

  /** Points of `history` inside the window, as "x,y" strings for a polyline of size w x ht. */
  function linePoints(history, column, now, windowMs, w, ht, max) {
    const start = now - windowMs;
    return history
      .filter((p) => p[0] >= start)
      .map((p) => {
        const x = ((p[0] - start) / windowMs) * w;
        const y = ht - (Math.max(0, p[column]) / max) * (ht - 2) - 1;
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(" ");
  }

  function peak(history, now, windowMs) {
    const start = now - windowMs;
    let max = 0;
    for (const p of history) if (p[0] >= start) max = Math.max(max, p[1], p[2]);
    return max;
  }

  /**
   * The time span to draw: the history's own span, at least a minute and at most `maxMs`, so a
   * connector started a minute ago fills its chart instead of a sliver at its right edge.
   */
  function windowFor(history, now, maxMs) {
    const oldest = history.length ? history[0][0] : now;
    return Math.min(maxMs, Math.max(60000, now - oldest));
  }

  function fmtSpan(ms) {
    return ms < 120000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60000)} min`;
  }

  /** A small in/out sparkline: in as a filled area, out as a line, both on one scale. */
  function sparkline(history, column, now) {
    const w = 90;
    const ht = 22;
    const span = windowFor(history, now, SPARK_WINDOW_MS);
    const max = Math.max(1, peak(history, now, span));
    const pts = linePoints(history, column, now, span, w, ht, max);
    const svg = h("svg:svg", { class: "spark", viewBox: `0 0 ${w} ${ht}`, width: w, height: ht, "aria-hidden": "true" });
    svg.append(h("svg:line", { x1: 0, y1: ht - 0.5, x2: w, y2: ht - 0.5, class: "spark-base" }));
    if (pts) {
      const first = pts.split(" ")[0].split(",")[0];
      const last = pts.split(" ").at(-1).split(",")[0];
      svg.append(h("svg:polygon", { points: `${first},${ht} ${pts} ${last},${ht}`, class: `spark-area col-${column}` }));
      svg.append(h("svg:polyline", { points: pts, class: `spark-line col-${column}` }));
    }
    return svg;
  }

  /** The detail pane's chart: in and out over CHART_WINDOW_MS, with its scale as HTML labels. */
  function rateChart(history, now) {
    const w = 600;
    const ht = 120;
    const span = windowFor(history, now, CHART_WINDOW_MS);
    const max = Math.max(1, peak(history, now, span)) * 1.1;
    const svg = h("svg:svg", { class: "chart", viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: "none", "aria-hidden": "true" });
    for (const f of [0.25, 0.5, 0.75]) {
      svg.append(h("svg:line", { x1: 0, x2: w, y1: ht * f, y2: ht * f, class: "grid-line" }));
    }
    for (const column of [1, 2]) {
      const pts = linePoints(history, column, now, span, w, ht, max);
      if (pts) svg.append(h("svg:polyline", { points: pts, class: `chart-line col-${column}` }));
    }
    return h(
      "div",
      { class: "chart-box" },
      svg,
      h("span", { class: "chart-label top", text: `${fmtRate(max)} rec/s` }),
      h("span", { class: "chart-label bottom-left", text: `−${fmtSpan(span)}` }),
      h("span", { class: "chart-label bottom-right", text: "now" }),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Connector list

  function connectorEntries() {
    const list = [];
    for (const [name, entry] of Object.entries(state.connectors || {})) {
      const status = (entry && entry.status) || {};
      const info = (entry && entry.info) || {};
      list.push({
        name,
        type: status.type || info.type || "unknown",
        connector: status.connector || { state: "UNKNOWN", worker_id: "" },
        tasks: [...(status.tasks || [])].sort((a, b) => a.id - b.id),
        config: info.config || {},
      });
    }
    return list.sort((a, b) => a.name.localeCompare(b.name));
  }

  function matchesFilter(c) {
    const q = state.filter.trim().toLowerCase();
    if (!q) return true;
    const words = [c.name, c.type, c.connector.state, c.connector.worker_id, c.config["connector.class"]];
    for (const t of c.tasks) words.push(t.state, t.worker_id);
    return words.some((w) => String(w || "").toLowerCase().includes(q));
  }

  function rateCell(numbers, column) {
    const field = column === 1 ? "records_in_rate" : "records_out_rate";
    if (!numbers) return h("td", { class: "col-rate muted", title: state.metricsProblem, text: "—" });
    return h(
      "td",
      { class: "col-rate", title: `${numbers[field]} records/s (sparkline: last ${fmtSpan(windowFor(numbers.history, metricsNow(), SPARK_WINDOW_MS))})` },
      h("div", { class: "rate" }, sparkline(numbers.history, column, metricsNow()), h("span", { class: "rate-value", text: fmtRate(numbers[field]) })),
    );
  }

  function numberCells(numbers, type, dlqTopic) {
    if (!numbers) {
      return [1, 2, 3].map(() => h("td", { class: "col-num muted", title: state.metricsProblem, text: "—" }));
    }
    const lag =
      type === "sink"
        ? h("td", { class: "col-num", text: fmtNumber(numbers.lag) })
        : h("td", { class: "col-num muted", title: "Lag applies to sink connectors", text: "n/a" });
    const errorsCls = numbers.errors_total || numbers.failures_total ? "col-num warn" : "col-num";
    const errors = h("td", {
      class: errorsCls,
      title: `${numbers.errors_total} record errors, ${numbers.failures_total} failures, ${numbers.records_skipped} skipped`,
      text: `${fmtNumber(numbers.errors_total)} / ${fmtNumber(numbers.failures_total)}`,
    });
    const dlqCls = numbers.dlq_produce_failures ? "col-num bad" : dlqTopic ? "col-num" : "col-num muted";
    const dlq = h("td", {
      class: dlqCls,
      title: dlqTopic ? `DLQ topic ${dlqTopic}: produce requests / failures` : "No dead letter queue configured",
      text: `${fmtNumber(numbers.dlq_produce_requests)} / ${fmtNumber(numbers.dlq_produce_failures)}`,
    });
    return [lag, errors, dlq];
  }

  /**
   * What keeps a running task from working (brokers out of reach, warnings it keeps logging):
   * the summary's `problem`, else the trace a RUNNING status carries for it. Kafka keeps such a
   * task RUNNING, so this is shown beside the state, never as a failure.
   */
  function taskProblem(t, m) {
    if (m && m.problem) return m.problem;
    return t.state === "RUNNING" && t.trace ? t.trace : null;
  }

  function problemMark(problem) {
    return problem ? h("span", { class: "problem-mark", title: problem, text: "⚠" }) : null;
  }

  /** "2 failed" next to a connector whose tasks failed (its own state may still be RUNNING). */
  function failedTasks(tasks) {
    const n = tasks.filter((t) => t.state === "FAILED").length;
    return n ? h("span", { class: "failed-count", title: `${n} of ${tasks.length} tasks FAILED`, text: `⚠ ${n}` }) : null;
  }

  function renderTable() {
    const body = $("connectors-body");
    const all = connectorEntries();
    const shown = all.filter(matchesFilter);
    const byTask = metricsByTask();
    const taskCount = all.reduce((n, c) => n + c.tasks.length, 0);
    const failed = all.filter((c) => c.connector.state === "FAILED" || c.tasks.some((t) => t.state === "FAILED")).length;
    $("counts").textContent = state.connectors
      ? `${all.length} connector${all.length === 1 ? "" : "s"} · ${taskCount} task${taskCount === 1 ? "" : "s"}` + (failed ? ` · ${failed} with failures` : "")
      : "";

    const sig = JSON.stringify([shown, state.selected, state.metrics && state.metrics.tasks, state.metricsProblem, state.connectors === null]);
    if (body.dataset.sig === sig) return;
    body.dataset.sig = sig;

    const rows = [];
    if (state.connectors === null) {
      rows.push(h("tr", { class: "placeholder" }, h("td", { colspan: 8, text: state.reachable ? "Loading…" : "Worker unreachable." })));
    } else if (all.length === 0) {
      rows.push(h("tr", { class: "placeholder" }, h("td", { colspan: 8, text: "No connectors yet. Create one with “+ New connector”." })));
    } else if (shown.length === 0) {
      rows.push(h("tr", { class: "placeholder" }, h("td", { colspan: 8, text: "No connector matches the filter." })));
    }
    for (const c of shown) {
      const taskMetrics = c.tasks.map((t) => byTask.get(`${c.name}\u0000${t.id}`)).filter(Boolean);
      const numbers = aggregate(taskMetrics);
      const dlqTopic = c.config["errors.deadletterqueue.topic.name"] || "";
      const select = () => selectConnector(c.name);
      const selected = state.selected === c.name;
      rows.push(
        h(
          "tr",
          {
            class: `conn-row${selected ? " selected" : ""}`,
            tabindex: 0,
            dataset: { connector: c.name },
            onclick: select,
            onkeydown: (e) => e.key === "Enter" && select(),
          },
          h(
            "td",
            { class: "col-name" },
            h("span", { class: "conn-name", text: c.name }),
            h("span", { class: `type-chip type-${c.type}`, text: c.type }),
          ),
          h(
            "td",
            { class: "col-state" },
            badge(c.connector.state, c.connector.trace ? traceHeadline(c.connector.trace) : null),
            failedTasks(c.tasks),
          ),
          h("td", { class: "col-worker", text: c.connector.worker_id || "—" }),
          rateCell(numbers, 1),
          rateCell(numbers, 2),
          numberCells(numbers, c.type, dlqTopic),
        ),
      );
      for (const t of c.tasks) {
        const m = byTask.get(`${c.name}\u0000${t.id}`);
        const tn = m ? aggregate([m]) : null;
        rows.push(
          h(
            "tr",
            { class: `task-row${selected ? " selected" : ""}`, dataset: { task: `${c.name}/${t.id}` }, onclick: select },
            h("td", { class: "col-name task-name", text: `task ${t.id}` }),
            h("td", { class: "col-state" }, badge(t.state, t.trace ? traceHeadline(t.trace) : null), problemMark(taskProblem(t, m))),
            h("td", { class: "col-worker", text: t.worker_id || "—" }),
            rateCell(tn, 1),
            rateCell(tn, 2),
            numberCells(tn, c.type, dlqTopic),
          ),
        );
      }
    }
    body.replaceChildren(...rows);
  }

  // ------------------------------------------------------------------------------------------
  // Detail pane

  function selectConnector(name) {
    state.selected = name;
    renderTable();
    renderDetail();
  }

  function actionButton(label, action, title, handler, cls) {
    return h("button", {
      type: "button",
      class: cls || null,
      title,
      disabled: state.busy,
      dataset: { action },
      onclick: handler,
      text: label,
    });
  }

  /** Run one action against the API, report its outcome, then refresh at once. */
  async function act(label, method, path, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return false;
    state.busy = true;
    renderDetail();
    let ok = false;
    try {
      await api(method, path);
      message("ok", `${label}: done`);
      ok = true;
    } catch (e) {
      showError(`${label} failed`, e);
    } finally {
      state.busy = false;
      renderDetail();
      refreshSoon();
    }
    return ok;
  }

  function traceBlock(key, trace) {
    return details(
      key,
      h("span", { class: "trace-summary" }, h("span", { class: "trace-label", text: "Failure trace" }), " ", h("code", { text: traceHeadline(trace) })),
      h(
        "div",
        { class: "trace-box" },
        h("button", {
          type: "button",
          class: "ghost copy",
          text: "Copy",
          onclick: () => {
            if (navigator.clipboard) navigator.clipboard.writeText(trace).then(() => message("ok", "Trace copied"), (e) => showError("Copy", e));
            else message("error", "Copy — the clipboard is not available on this page");
          },
        }),
        h("button", {
          type: "button",
          class: "ghost wrap",
          text: "Wrap",
          title: "Wrap long lines",
          onclick: (e) => e.target.parentElement.querySelector("pre").classList.toggle("wrapped"),
        }),
        h("pre", { class: "trace", text: trace }),
      ),
    );
  }

  function stat(label, value, title, cls) {
    return h("div", { class: `stat ${cls || ""}`, title: title || null }, h("div", { class: "stat-value", text: value }), h("div", { class: "stat-label", text: label }));
  }

  function renderDetail() {
    const pane = $("detail");
    try {
      patchSections(pane, detailSections());
    } catch (e) {
      consoleError(e);
    }
  }

  function detailSections() {
    const name = state.selected;
    if (name === null) {
      return [{ key: "empty", sig: "empty", build: () => h("div", { class: "empty-detail muted", text: "Select a connector to see its tasks, numbers, traces and actions." }) }];
    }
    const c = connectorEntries().find((x) => x.name === name);
    if (!c) {
      const loading = state.connectors === null;
      return [
        {
          key: "gone",
          sig: `gone:${name}:${loading}`,
          build: () =>
            h(
              "div",
              { class: "gone" },
              h("h2", { text: name }),
              h("p", {
                text: loading ? "Loading…" : `Connector “${name}” no longer exists on this cluster (deleted, or not created yet). It reappears here if it comes back.`,
              }),
              h("button", { type: "button", onclick: () => selectConnector(null), text: "Close" }),
            ),
        },
      ];
    }
    const byTask = metricsByTask();
    const taskMetrics = c.tasks.map((t) => byTask.get(`${c.name}\u0000${t.id}`)).filter(Boolean);
    const numbers = aggregate(taskMetrics);
    const dlqTopic = c.config["errors.deadletterqueue.topic.name"] || "";
    const busy = state.busy;
    const base = `/connectors/${enc(c.name)}`;

    const sections = [
      {
        key: "head",
        sig: JSON.stringify(["head", c.name, c.type, c.connector, c.config["connector.class"]]),
        build: () =>
          h(
            "div",
            { class: "detail-head" },
            h("h2", null, h("span", { class: "conn-name", text: c.name }), " ", h("span", { class: `type-chip type-${c.type}`, text: c.type }), " ", badge(c.connector.state)),
            h("div", { class: "muted" }, h("code", { text: c.config["connector.class"] || "" }), ` · connector on ${c.connector.worker_id || "no worker"}`),
            c.connector.trace ? traceBlock(`trace:${c.name}:connector`, c.connector.trace) : null,
          ),
      },
      {
        key: "actions",
        sig: JSON.stringify(["actions", c.name, busy]),
        build: () =>
          h(
            "div",
            { class: "actions" },
            actionButton("Pause", "pause", "PUT /connectors/{name}/pause: tasks stop processing, stay assigned", () => act(`Pause ${c.name}`, "PUT", `${base}/pause`)),
            actionButton("Resume", "resume", "PUT /connectors/{name}/resume", () => act(`Resume ${c.name}`, "PUT", `${base}/resume`)),
            actionButton("Stop", "stop", "PUT /connectors/{name}/stop: tasks are shut down, config kept", () => act(`Stop ${c.name}`, "PUT", `${base}/stop`)),
            h("span", { class: "sep" }),
            actionButton("Restart", "restart", "POST /connectors/{name}/restart: the connector instance only", () => act(`Restart ${c.name}`, "POST", `${base}/restart`)),
            actionButton("Restart + tasks", "restart-all", "POST /connectors/{name}/restart?includeTasks=true", () =>
              act(`Restart ${c.name} and its tasks`, "POST", `${base}/restart?includeTasks=true`),
            ),
            actionButton("Restart failed", "restart-failed", "POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true", () =>
              act(`Restart failed instances of ${c.name}`, "POST", `${base}/restart?includeTasks=true&onlyFailed=true`),
            ),
            h("span", { class: "sep" }),
            actionButton("Edit…", "edit", "Edit the configuration (PUT /connectors/{name}/config)", () => openForm(c.name)),
            actionButton(
              "Delete",
              "delete",
              "DELETE /connectors/{name}",
              async () => {
                const ok = await act(`Delete ${c.name}`, "DELETE", base, `Delete connector “${c.name}”?\n\nIts tasks stop and its configuration is removed (offsets are kept).`);
                if (ok && state.selected === c.name) selectConnector(null);
              },
              "danger",
            ),
          ),
      },
      {
        key: "numbers",
        sig: JSON.stringify(["numbers", numbers, state.metricsProblem, dlqTopic, c.config["errors.tolerance"], c.type]),
        build: () => numbersSection(c, numbers, dlqTopic),
      },
      {
        key: "tasks",
        sig: JSON.stringify(["tasks", c.name, c.tasks, taskMetrics.map((m) => [m.task, m.records_in_rate, m.records_out_rate, m.lag, m.errors_total, m.problem]), busy]),
        build: () => tasksSection(c, byTask),
      },
      {
        key: "config",
        sig: JSON.stringify(["config", c.name, c.config]),
        build: () => configSection(c),
      },
    ];
    return sections;
  }

  function numbersSection(c, numbers, dlqTopic) {
    const dlqText = dlqTopic || "none";
    const dlqTitle = dlqTopic ? "errors.deadletterqueue.topic.name" : `No dead letter queue (errors.tolerance=${c.config["errors.tolerance"] || "none"})`;
    if (!numbers) {
      return h(
        "div",
        { class: "numbers" },
        h("h3", { text: "Throughput and errors" }),
        h("p", { class: "muted", text: state.metricsProblem ? `No numbers: ${state.metricsProblem}.` : "No numbers for this connector's tasks yet (no task running on a reachable worker)." }),
        h("div", { class: "stats" }, stat("DLQ topic", dlqText, dlqTitle)),
      );
    }
    const partitions = numbers.partitions.filter((p) => p && p.topic !== undefined);
    return h(
      "div",
      { class: "numbers" },
      h(
        "h3",
        null,
        "Throughput ",
        h("span", { class: "legend" }, h("span", { class: "key col-1" }), `in ${fmtRate(numbers.records_in_rate)}/s `, h("span", { class: "key col-2" }), `out ${fmtRate(numbers.records_out_rate)}/s`),
      ),
      rateChart(numbers.history, metricsNow()),
      h(
        "div",
        { class: "stats" },
        stat("records in", fmtNumber(numbers.records_in_total), c.type === "sink" ? "read from Kafka" : "polled from the source"),
        stat("records out", fmtNumber(numbers.records_out_total), c.type === "sink" ? "handed to put()" : "written to Kafka (acked)"),
        c.type === "sink" ? stat("lag", fmtNumber(numbers.lag), "high watermark − next offset, summed over partitions") : null,
        stat("errors", fmtNumber(numbers.errors_total), "total-record-errors", numbers.errors_total ? "warn" : ""),
        stat("failures", fmtNumber(numbers.failures_total), "total-record-failures", numbers.failures_total ? "warn" : ""),
        stat("skipped", fmtNumber(numbers.records_skipped), "total-records-skipped"),
        stat("DLQ topic", dlqText, dlqTitle),
        stat("DLQ produced", fmtNumber(numbers.dlq_produce_requests), "deadletterqueue-produce-requests"),
        stat("DLQ failures", fmtNumber(numbers.dlq_produce_failures), "deadletterqueue-produce-failures", numbers.dlq_produce_failures ? "bad" : ""),
        stat("last error", numbers.last_error_timestamp ? fmtTime(numbers.last_error_timestamp) : "never", "last-error-timestamp"),
      ),
      partitions.length
        ? details(
            `partitions:${c.name}`,
            `Lag by partition (${partitions.length})`,
            h(
              "table",
              { class: "mini" },
              h("tr", null, h("th", { text: "topic" }), h("th", { text: "partition" }), h("th", { class: "col-num", text: "lag" })),
              partitions.map((p) => h("tr", null, h("td", { text: p.topic }), h("td", { text: p.partition }), h("td", { class: "col-num", text: fmtNumber(p.lag) }))),
            ),
          )
        : null,
    );
  }

  function tasksSection(c, byTask) {
    const base = `/connectors/${enc(c.name)}`;
    return h(
      "div",
      { class: "tasks" },
      h("h3", { text: `Tasks (${c.tasks.length})` }),
      c.tasks.length === 0 ? h("p", { class: "muted", text: "No tasks (stopped, paused before start, or not assigned yet)." }) : null,
      c.tasks.map((t) => {
        const m = byTask.get(`${c.name}\u0000${t.id}`);
        const problem = taskProblem(t, m);
        return h(
          "div",
          { class: "task", dataset: { task: `${c.name}/${t.id}` } },
          h(
            "div",
            { class: "task-line" },
            h("strong", { text: `task ${t.id}` }),
            badge(t.state),
            h("span", { class: "muted", text: t.worker_id || "no worker" }),
            m ? h("span", { class: "muted", text: `in ${fmtRate(m.records_in_rate)}/s · out ${fmtRate(m.records_out_rate)}/s` + (m.errors_total ? ` · ${m.errors_total} errors` : "") }) : null,
            h("span", { class: "spacer" }),
            actionButton("Restart task", "restart-task", "POST /connectors/{name}/tasks/{id}/restart", () => act(`Restart ${c.name} task ${t.id}`, "POST", `${base}/tasks/${t.id}/restart`)),
          ),
          problem ? h("div", { class: "problem-line", text: problem }) : null,
          t.trace && t.state !== "RUNNING" ? traceBlock(`trace:${c.name}:${t.id}`, t.trace) : null,
        );
      }),
    );
  }

  function configSection(c) {
    const keys = Object.keys(c.config).sort();
    return h(
      "div",
      { class: "config" },
      details(
        `config:${c.name}`,
        `Configuration (${keys.length} settings)`,
        h(
          "table",
          { class: "mini kv" },
          keys.map((k) => {
            const secret = /password|secret/i.test(k) && !String(c.config[k]).startsWith("${");
            return h("tr", null, h("th", { text: k }), h("td", { text: secret ? "••••••" : c.config[k] }));
          }),
        ),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Header

  function renderHeader() {
    const info = state.serverInfo;
    const where = (state.metrics && state.metrics.worker_id) || location.host;
    $("worker-info").textContent = info ? `v${info.version} · worker ${where} · Kafka cluster ${info.kafka_cluster_id}` : `worker ${location.host}`;

    const chips = [];
    if (state.metricsProblem) {
      chips.push(h("span", { class: "chip muted", title: state.metricsProblem, text: "numbers unavailable" }));
    }
    for (const w of (state.metrics && state.metrics.workers) || []) {
      chips.push(
        h("span", {
          class: `chip ${w.reachable ? "ok" : "bad"}`,
          title: w.reachable ? "reachable" : `unreachable: ${w.error || "unknown error"}`,
          text: w.worker_id,
        }),
      );
    }
    $("cluster-chips").replaceChildren(...chips);

    const text = $("refresh-text");
    if (state.lastOk) text.textContent = state.reachable ? `updated ${new Date(state.lastOk).toLocaleTimeString(undefined, { hour12: false })}` : `last update ${ago(state.lastOk)}`;
    $("refresh-dot").className = `dot ${state.reachable ? "ok" : "bad"}`;
  }

  function render() {
    try {
      renderBanner();
      renderHeader();
      renderTable();
      renderDetail();
    } catch (e) {
      consoleError(e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The refresh loop

  let timer = null;
  let inFlight = false;
  let again = false;
  let listErrorMessage = null;

  /** Refresh now (after an action) rather than at the next tick. */
  function refreshSoon() {
    if (inFlight) {
      again = true;
      return;
    }
    clearTimeout(timer);
    void refresh();
  }

  async function refresh() {
    inFlight = true;
    try {
      await load();
    } catch (e) {
      consoleError(e);
    } finally {
      inFlight = false;
      timer = setTimeout(refresh, again ? 0 : REFRESH_MS);
      again = false;
      render();
    }
  }

  async function load() {
    const [list, summary, info] = await Promise.allSettled([
      api("GET", "/connectors?expand=status&expand=info"),
      api("GET", "/metrics/summary"),
      state.serverInfo ? Promise.resolve(state.serverInfo) : api("GET", "/"),
    ]);

    if (list.status === "fulfilled") {
      state.connectors = list.value && typeof list.value === "object" && !Array.isArray(list.value) ? list.value : {};
      state.reachable = true;
      state.lastOk = Date.now();
      if (listErrorMessage) {
        listErrorMessage.remove();
        listErrorMessage = null;
      }
    } else if (list.reason instanceof NetworkError) {
      state.reachable = false;
      state.lastNetworkError = list.reason.message;
    } else {
      // The worker answered, with an error (e.g. 500 while a distributed worker rebalances).
      state.reachable = true;
      if (listErrorMessage) listErrorMessage.remove();
      listErrorMessage = message("error", `Reading the connectors failed — ${describeError(list.reason)}`);
    }

    if (summary.status === "fulfilled" && summary.value && Array.isArray(summary.value.tasks)) {
      state.metrics = summary.value;
      state.metricsProblem = "";
    } else if (summary.status === "fulfilled") {
      state.metrics = null;
      state.metricsProblem = "GET /metrics/summary answered an unexpected body";
    } else if (summary.reason instanceof RestError) {
      state.metrics = null;
      state.metricsProblem =
        summary.reason.status === 404 ? "this worker does not serve GET /metrics/summary (404)" : `GET /metrics/summary failed — ${describeError(summary.reason)}`;
    } else {
      state.metrics = null; // stale numbers would look live
      state.metricsProblem = state.reachable ? `GET /metrics/summary failed — ${describeError(summary.reason)}` : "worker unreachable";
    }

    if (info.status === "fulfilled" && info.value && typeof info.value === "object") state.serverInfo = info.value;
  }

  // ------------------------------------------------------------------------------------------
  // The create / edit form, built from the plugin's config definition

  const form = {
    mode: "create", // or "edit"
    name: null, // the edited connector
    plugin: "", // the plugin name or class in use
    defs: [], // GET /connector-plugins/{plugin}/config
    plugins: null, // GET /connector-plugins, cached
    fieldSeq: 0,
  };

  function formError(text) {
    const box = $("form-errors");
    if (!text) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.replaceChildren(h("strong", { text: "Error: " }), text);
    box.hidden = false;
  }

  function formStatus(text, cls) {
    const el = $("form-status");
    el.textContent = text || "";
    el.className = `form-status ${cls || "muted"}`;
  }

  async function openForm(editName) {
    const dialog = $("form-dialog");
    form.mode = editName ? "edit" : "create";
    form.name = editName || null;
    form.defs = [];
    $("form-title").textContent = editName ? `Edit connector “${editName}”` : "New connector";
    $("submit-btn").textContent = editName ? "Save" : "Create";
    $("field-filter").value = "";
    $("plugin-doc").textContent = "";
    $("form-fields").replaceChildren();
    formError("");
    formStatus("");
    $("plugin-select").disabled = Boolean(editName);
    if (!dialog.open) dialog.showModal();

    let values = {};
    try {
      if (!form.plugins) form.plugins = await api("GET", "/connector-plugins");
      if (editName) values = (await api("GET", `/connectors/${enc(editName)}/config`)) || {};
    } catch (e) {
      fillPlugins("");
      formError(`${editName ? `Reading the configuration of ${editName}` : "Reading the plugins"} failed — ${describeError(e)}`);
      return;
    }
    const plugin = editName ? String(values["connector.class"] || "") : "";
    fillPlugins(plugin);
    if (plugin) await loadDefinition(plugin, values);
    else formStatus("Pick a plugin to see its settings.");
  }

  function fillPlugins(current) {
    const select = $("plugin-select");
    const plugins = [...(form.plugins || [])].sort((a, b) => simpleClass(a.class).localeCompare(simpleClass(b.class)));
    const options = [h("option", { value: "", text: "— choose a connector plugin —" })];
    for (const type of ["source", "sink"]) {
      const group = plugins.filter((p) => p.type === type);
      if (group.length) {
        options.push(
          h(
            "optgroup",
            { label: `${type} connectors` },
            group.map((p) => h("option", { value: p.class, title: p.class, text: `${simpleClass(p.class)} (${p.version || "?"})` })),
          ),
        );
      }
    }
    const others = plugins.filter((p) => p.type !== "source" && p.type !== "sink");
    for (const p of others) options.push(h("option", { value: p.class, text: simpleClass(p.class) }));
    const known = plugins.some((p) => p.class === current);
    if (current && !known) options.push(h("option", { value: current, text: current }));
    select.replaceChildren(...options);
    select.value = current;
    form.plugin = current;
  }

  async function loadDefinition(plugin, values) {
    form.plugin = plugin;
    $("form-fields").replaceChildren();
    formError("");
    formStatus(plugin ? "Loading the settings…" : "Pick a plugin to see its settings.");
    if (!plugin) return;
    const info = (form.plugins || []).find((p) => p.class === plugin);
    $("plugin-doc").textContent = info ? `${info.class} · ${info.type} · version ${info.version || "?"}` : plugin;
    let defs;
    try {
      defs = await api("GET", `/connector-plugins/${enc(plugin)}/config`);
    } catch (e) {
      formStatus("");
      formError(`Reading the settings of ${plugin} failed — ${describeError(e)}`);
      return;
    }
    if (form.plugin !== plugin) return; // another plugin was picked meanwhile
    form.defs = Array.isArray(defs) ? defs : [];
    renderFields({ ...values, "connector.class": plugin });
    formStatus("Fill the settings, then Validate.");
  }

  /** The group of the plugin's own settings (those its definition puts in no group). */
  function pluginGroup() {
    return `${simpleClass(form.plugin) || "Connector"} settings`;
  }

  /** Group the definitions: Common first (it holds name and connector.class), then in order. */
  function groupDefs(defs) {
    const groups = new Map();
    for (const d of defs) {
      const g = d.group || pluginGroup();
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(d);
    }
    const order = [...groups.keys()];
    order.sort((a, b) => (a === "Common" ? -1 : b === "Common" ? 1 : 0));
    return order.map((g) => [g, groups.get(g)]);
  }

  function renderFields(values) {
    const container = $("form-fields");
    const known = new Set(form.defs.map((d) => d.name));
    const sections = groupDefs(form.defs).map(([group, defs]) => {
      const open = defs.some((d) => d.required || d.importance === "HIGH" || (values[d.name] !== undefined && values[d.name] !== ""));
      return fieldGroup(group, defs.map((d) => field(d, values[d.name])), open);
    });
    const extras = Object.keys(values).filter((k) => !known.has(k));
    sections.push(extraGroup(extras.map((k) => [k, values[k]])));
    container.replaceChildren(...sections);
    applyFieldFilter();
  }

  function fieldGroup(group, fields, open) {
    return h(
      "details",
      { class: "group", open, dataset: { group } },
      h("summary", null, h("span", { text: group }), " ", h("span", { class: "muted count", text: `(${fields.length})` }), h("span", { class: "group-errors" })),
      h("div", { class: "group-body" }, fields),
    );
  }

  /** One setting: label with its metadata, the input, its documentation and its errors. */
  function field(def, value) {
    const id = `f${++form.fieldSeq}`;
    const key = def.name;
    const locked = key === "connector.class" || (key === "name" && form.mode === "edit");
    const dflt = def.default_value;
    let input;
    if (def.type === "BOOLEAN") {
      input = h(
        "select",
        { id, name: key, dataset: { key } },
        h("option", { value: "", text: dflt !== null && dflt !== undefined ? `default (${dflt})` : "not set" }),
        h("option", { value: "true", text: "true" }),
        h("option", { value: "false", text: "false" }),
      );
    } else {
      input = h("input", {
        id,
        name: key,
        dataset: { key },
        type: def.type === "PASSWORD" ? "password" : "text",
        inputmode: ["INT", "LONG", "SHORT", "DOUBLE"].includes(def.type) ? "decimal" : null,
        placeholder: dflt !== null && dflt !== undefined && dflt !== "" ? `default: ${dflt}` : def.required ? "required" : "",
        spellcheck: "false",
      });
    }
    if (value !== undefined && value !== null) input.value = String(value);
    if (locked) input.readOnly = true;
    if (locked && input.tagName === "SELECT") input.disabled = true;
    const search = [key, def.display_name, def.documentation, def.group].join(" ").toLowerCase();
    return h(
      "div",
      { class: `field${def.required ? " required" : ""}`, dataset: { key, search } },
      h(
        "div",
        { class: "field-main" },
        h(
          "label",
          { for: id },
          h("code", { class: "fname", text: key }),
          def.required ? h("span", { class: "req", title: "required", text: " *" }) : null,
          def.display_name && def.display_name !== key ? h("span", { class: "dname", text: def.display_name }) : null,
        ),
        input,
        h("datalist", { id: `${id}-list` }),
        h("div", { class: "field-errors", dataset: { for: key } }),
      ),
      h(
        "div",
        { class: "field-doc" },
        h(
          "div",
          { class: "meta" },
          h("span", { class: `imp imp-${String(def.importance || "").toLowerCase()}`, text: def.importance || "" }),
          h("span", { class: "ftype", text: def.type || "" }),
          dflt !== null && dflt !== undefined && dflt !== "" ? h("span", { class: "fdefault", text: `default ${dflt}` }) : null,
        ),
        h("div", { class: "doc", text: def.documentation || "" }),
      ),
    );
  }

  /** Settings the definition does not list (transform and predicate keys, provider references...). */
  function extraGroup(pairs) {
    const body = h("div", { class: "group-body extras" });
    const addRow = (k, v) => {
      const row = h(
        "div",
        { class: "extra-row" },
        h("input", { class: "extra-key", placeholder: "key (e.g. transforms.route.type)", value: k || "", spellcheck: "false" }),
        h("input", { class: "extra-value", placeholder: "value", value: v === undefined || v === null ? "" : String(v), spellcheck: "false" }),
        h("button", { type: "button", class: "ghost", title: "Remove", onclick: () => row.remove(), text: "✕" }),
      );
      body.insertBefore(row, addButton);
    };
    const addButton = h("button", { type: "button", class: "ghost add", onclick: () => addRow("", ""), text: "+ Add setting" });
    body.append(addButton);
    for (const [k, v] of pairs) addRow(k, v);
    return h(
      "details",
      { class: "group", open: pairs.length > 0, dataset: { group: "__extra" } },
      h("summary", null, h("span", { text: "Other settings" }), " ", h("span", { class: "muted count", text: "(transforms, predicates, any key)" })),
      body,
    );
  }

  /** The config to send: every non-empty field, plus the free-form rows. */
  function collectConfig() {
    const config = {};
    for (const el of $("form-fields").querySelectorAll("[data-key]")) {
      if (el.tagName !== "INPUT" && el.tagName !== "SELECT") continue;
      if (el.value !== "") config[el.dataset.key] = el.value;
    }
    for (const row of $("form-fields").querySelectorAll(".extra-row")) {
      const k = row.querySelector(".extra-key").value.trim();
      if (k) config[k] = row.querySelector(".extra-value").value;
    }
    if (form.plugin) config["connector.class"] = form.plugin;
    if (form.mode === "edit") config.name = form.name;
    return config;
  }

  function clearFieldErrors() {
    for (const el of $("form-fields").querySelectorAll(".field-errors")) el.replaceChildren();
    for (const el of $("form-fields").querySelectorAll(".field.invalid")) el.classList.remove("invalid");
    for (const el of $("form-fields").querySelectorAll(".group-errors")) el.textContent = "";
  }

  function fieldFor(key) {
    for (const el of $("form-fields").querySelectorAll(".field")) if (el.dataset.key === key) return el;
    return null;
  }

  /** Put each validation error next to its field; add fields the report defines but the form lacks. */
  function showValidation(report) {
    clearFieldErrors();
    const loose = [];
    let first = null;
    for (const item of (report && report.configs) || []) {
      const def = item.definition;
      const value = item.value || {};
      const key = (def && def.name) || value.name;
      if (!key) continue;
      let el = fieldFor(key);
      if (!el && def && value.errors && value.errors.length) {
        el = field(def, value.value);
        addFieldToGroup(el, def.group || pluginGroup());
      }
      if (el && Array.isArray(value.recommended_values) && value.recommended_values.length) {
        const list = el.querySelector("datalist");
        const input = el.querySelector("input");
        if (list && input) {
          list.replaceChildren(...value.recommended_values.map((v) => h("option", { value: v ?? "" })));
          input.setAttribute("list", list.id);
        }
      }
      const errors = value.errors || [];
      if (!errors.length) continue;
      if (!el) {
        loose.push(`${key}: ${errors.join("; ")}`);
        continue;
      }
      el.classList.add("invalid");
      el.querySelector(".field-errors").replaceChildren(...errors.map((e) => h("div", { class: "field-error", text: e })));
      const group = el.closest("details.group");
      if (group) {
        group.open = true;
        const counter = group.querySelector(".group-errors");
        counter.dataset.n = String(Number(counter.dataset.n || 0) + errors.length);
        counter.textContent = ` ${counter.dataset.n} error${counter.dataset.n === "1" ? "" : "s"}`;
      }
      if (!first) first = el;
    }
    for (const counter of $("form-fields").querySelectorAll(".group-errors")) delete counter.dataset.n;
    formError(loose.length ? loose.join("\n") : "");
    if (first) {
      first.scrollIntoView({ block: "center" });
      const input = first.querySelector("input, select");
      if (input) input.focus({ preventScroll: true });
    }
    return Number((report && report.error_count) || 0);
  }

  function addFieldToGroup(el, group) {
    const container = $("form-fields");
    let section = [...container.querySelectorAll("details.group")].find((g) => g.dataset.group === group);
    if (!section) {
      section = fieldGroup(group, [], true);
      container.insertBefore(section, container.lastElementChild);
    }
    section.querySelector(".group-body").append(el);
  }

  function applyFieldFilter() {
    const q = $("field-filter").value.trim().toLowerCase();
    for (const group of $("form-fields").querySelectorAll("details.group")) {
      let any = false;
      for (const f of group.querySelectorAll(".field")) {
        const hit = !q || f.dataset.search.includes(q);
        f.hidden = !hit;
        any = any || hit;
      }
      if (group.dataset.group === "__extra") continue;
      group.hidden = Boolean(q) && !any;
      if (q && any) group.open = true;
    }
  }

  let formBusy = false;

  function setFormBusy(busy) {
    formBusy = busy;
    $("validate-btn").disabled = busy;
    $("submit-btn").disabled = busy;
  }

  /** PUT .../config/validate; returns the error count, or null when the call itself failed. */
  async function validate() {
    if (!form.plugin) {
      formError("Pick a connector plugin first.");
      return null;
    }
    formError("");
    formStatus("Validating…");
    try {
      const report = await api("PUT", `/connector-plugins/${enc(form.plugin)}/config/validate`, collectConfig());
      const count = showValidation(report);
      if (count) formStatus(`${count} error${count === 1 ? "" : "s"}: see the highlighted settings.`, "bad");
      else formStatus("✓ Valid: no errors.", "good");
      return count;
    } catch (e) {
      formStatus("");
      formError(`Validation failed — ${describeError(e)}`);
      return null;
    }
  }

  async function submit() {
    const count = await validate();
    if (count !== 0) return;
    const config = collectConfig();
    const name = form.mode === "edit" ? form.name : String(config.name || "").trim();
    if (!name) {
      formError("The connector needs a name.");
      return;
    }
    formStatus(form.mode === "edit" ? "Saving…" : "Creating…");
    try {
      await api("PUT", `/connectors/${enc(name)}/config`, config);
    } catch (e) {
      formStatus("");
      formError(`${form.mode === "edit" ? "Saving" : "Creating"} ${name} failed — ${describeError(e)}`);
      return;
    }
    message("ok", `${form.mode === "edit" ? "Saved" : "Created"} connector ${name}`);
    $("form-dialog").close();
    selectConnector(name);
    refreshSoon();
  }

  async function guarded(fn) {
    if (formBusy) return;
    setFormBusy(true);
    try {
      await fn();
    } catch (e) {
      formError(`Unexpected error — ${describeError(e)}`);
    } finally {
      setFormBusy(false);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Wiring

  function start() {
    $("new-connector").addEventListener("click", () => void openForm(null));
    $("filter").addEventListener("input", (e) => {
      state.filter = e.target.value;
      renderTable();
    });
    $("form-close").addEventListener("click", () => $("form-dialog").close());
    $("plugin-select").addEventListener("change", (e) => {
      const keep = form.defs.length ? collectConfig() : {};
      delete keep["connector.class"];
      void loadDefinition(e.target.value, keep);
    });
    $("field-filter").addEventListener("input", applyFieldFilter);
    $("validate-btn").addEventListener("click", () => void guarded(validate));
    $("connector-form").addEventListener("submit", (e) => {
      e.preventDefault(); // method=dialog would close the dialog before the answer
      void guarded(submit);
    });
    setInterval(renderHeader, 1000); // keeps "last update … ago" current while unreachable
    void refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
