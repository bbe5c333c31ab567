// The live status page: polls /status every 2 s, draws the systems and the flows
// between them, and shows one flow's detail with pause and resume.
"use strict";

(function () {
  const POLL_MS = 2000;
  const DETAIL_EVERY = 3; // a flow's detail is read every third poll
  const TOKEN_KEY = "tether-control-token";
  const SVG = "http://www.w3.org/2000/svg";
  // The seven systems, placed so the flows between them do not cross.
  const SYSTEMS = {
    crmoffice: { label: "Crmoffice", x: 110, y: 80 },
    membercare: { label: "Membercare", x: 400, y: 80 },
    tidsbanken: { label: "Tidsbanken", x: 110, y: 250 },
    customwebshop: { label: "Customwebshop", x: 640, y: 250 },
    chargebee: { label: "Chargebee", x: 890, y: 250 },
    webcrm: { label: "Webcrm", x: 110, y: 410 },
    customcrm: { label: "Customcrm", x: 640, y: 410 },
  };
  const RANK = { running: 0, paused: 1, failing: 2 };

  const previous = new Map(); // flow -> {events, at}: for events per second
  const rates = new Map();
  let selected = null;
  let polls = 0;
  let lastStatus = null;
  let controlEnabled = null; // from the first detail read

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(stamp) {
    return stamp ? new Date(stamp).toLocaleTimeString() : "";
  }

  function fmtRate(value) {
    if (value === undefined) return "–";
    return value >= 10 ? value.toFixed(0) : value.toFixed(1);
  }

  function showProblem(text) {
    const box = $("problem");
    box.hidden = !text;
    box.textContent = text || "";
  }

  async function getJson(url) {
    const response = await fetch(url, { cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function trackRates(status) {
    const now = Date.parse(status.at);
    for (const flow of status.flows) {
      const events = flow.events_in;
      const before = previous.get(flow.flow);
      if (before && now > before.at) {
        rates.set(flow.flow, Math.max(0, (events - before.events) * 1000 / (now - before.at)));
      }
      previous.set(flow.flow, { events: events, at: now });
    }
  }

  // A flow's ends are "system/Type"; the graph draws systems.
  function systemOf(end) {
    return end.split("/")[0];
  }

  function pairs(flows) {
    const byPair = new Map();
    for (const flow of flows) {
      const source = systemOf(flow.source);
      const target = systemOf(flow.target);
      const key = source + ">" + target;
      if (!byPair.has(key)) {
        byPair.set(key, {
          source: source, target: target, flows: [], state: "running",
          links: 0, rate: 0, lag: 0, conflicts: 0, dead_letters: 0,
          syncHandled: 0, syncTotal: 0,
        });
      }
      const pair = byPair.get(key);
      pair.flows.push(flow.flow);
      if (RANK[flow.state] > RANK[pair.state]) pair.state = flow.state;
      pair.links += flow.links;
      pair.rate += rates.get(flow.flow) || 0;
      pair.lag += flow.lag;
      pair.conflicts += flow.conflicts;
      pair.dead_letters += flow.dead_letters;
      const sync = flow.first_sync;
      if (sync && !sync.done && sync.handled + sync.remaining > 0) {
        pair.syncHandled += sync.handled;
        pair.syncTotal += sync.handled + sync.remaining;
      }
    }
    return [...byPair.values()];
  }

  function place(system, index) {
    if (SYSTEMS[system]) return SYSTEMS[system];
    // A system this page does not know: along the bottom edge.
    return { label: system, x: 110 + 200 * index, y: 455 };
  }

  function drawGraph(status) {
    const graph = $("graph");
    graph.replaceChildren();
    const defs = svg("defs");
    for (const state of Object.keys(RANK)) {
      const marker = svg("marker", {
        id: "arrow-" + state, viewBox: "0 0 10 10", refX: "10", refY: "5",
        markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse",
      });
      marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow " + state }));
      defs.appendChild(marker);
    }
    graph.appendChild(defs);
    const used = new Set(status.flows.flatMap((f) => [systemOf(f.source), systemOf(f.target)]));
    const names = [...new Set([...Object.keys(SYSTEMS), ...used])];
    const spots = new Map(names.map((name, i) => [name, place(name, i)]));
    const edges = svg("g", { id: "edges" });
    for (const pair of pairs(status.flows)) {
      edges.appendChild(drawEdge(pair, spots.get(pair.source), spots.get(pair.target)));
    }
    graph.appendChild(edges);
    for (const name of names) {
      const spot = spots.get(name);
      const node = svg("g", {
        class: "node" + (used.has(name) ? "" : " unused"), "data-system": name,
      });
      node.appendChild(svg("rect", { x: spot.x - 75, y: spot.y - 20, width: 150, height: 40, rx: 8 }));
      node.appendChild(svg("text", { x: spot.x, y: spot.y }, spot.label));
      graph.appendChild(node);
    }
  }

  function drawEdge(pair, from, to) {
    const group = svg("g", {
      class: "edge " + pair.state, "data-source": pair.source, "data-target": pair.target,
      tabindex: "0",
    });
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy) || 1;
    // From the border of one box to the border of the other.
    const cut = Math.min(75 * length / Math.max(Math.abs(dx), 1), 20 * length / Math.max(Math.abs(dy), 1));
    const x1 = from.x + dx * cut / length;
    const y1 = from.y + dy * cut / length;
    const x2 = to.x - dx * (cut + 4) / length;
    const y2 = to.y - dy * (cut + 4) / length;
    group.appendChild(svg("path", {
      d: `M ${x1} ${y1} L ${x2} ${y2}`, "marker-end": `url(#arrow-${pair.state})`,
    }));
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    const stats = `${pair.links} links · ${fmtRate(pair.rate)}/s · lag ${pair.lag}`;
    const trouble = `${pair.conflicts} conflicts · ${pair.dead_letters} dead letters`;
    const flows = pair.flows.length === 1 ? "1 flow" : `${pair.flows.length} flows`;
    let head = `${pair.state} · ${flows}`;
    if (pair.syncTotal) {
      head += ` · first sync ${Math.floor(100 * pair.syncHandled / pair.syncTotal)}%`;
    }
    group.appendChild(svg("text", { x: mx, y: my - 20, class: "state-line" }, head));
    group.appendChild(svg("text", { x: mx, y: my - 4, class: "stats" }, stats));
    group.appendChild(svg("text", { x: mx, y: my + 12, class: "trouble" }, trouble));
    group.appendChild(svg("title", {}, pair.flows.join("\n")));
    group.addEventListener("click", () => select(pair.flows[0]));
    return group;
  }

  function firstSync(cell, sync) {
    if (sync.done) {
      cell.textContent = `done (${sync.handled})`;
      return;
    }
    const total = sync.handled + sync.remaining;
    if (!total) {
      cell.textContent = "–";
      return;
    }
    const bar = el("progress", { max: String(total), value: String(sync.handled) });
    cell.appendChild(bar);
    let text = ` ${sync.handled}/${total}`;
    if (sync.rate_per_second) text += ` · ${sync.rate_per_second.toFixed(0)}/s`;
    if (sync.eta_seconds !== null && sync.eta_seconds !== undefined) {
      text += ` · ${Math.ceil(sync.eta_seconds)} s left`;
    }
    cell.appendChild(document.createTextNode(text));
  }

  function drawTable(status) {
    const body = $("flows").tBodies[0];
    body.replaceChildren();
    for (const flow of status.flows) {
      const row = el("tr", { "data-flow": flow.flow });
      if (flow.flow === selected) row.classList.add("selected");
      row.appendChild(el("td", {}, flow.flow));
      row.appendChild(el("td", {}, `${flow.source} → ${flow.target}`));
      const state = el("td", { "data-field": "state", class: "state " + flow.state }, flow.state);
      if (flow.reason) state.title = flow.reason;
      row.appendChild(state);
      const numbers = [
        ["links", flow.links], ["rate", fmtRate(rates.get(flow.flow))], ["lag", flow.lag],
        ["conflicts", flow.conflicts], ["dead_letters", flow.dead_letters],
        ["writes", flow.writes],
      ];
      for (const [field, value] of numbers) {
        row.appendChild(el("td", { "data-field": field, class: "num" }, String(value)));
      }
      const sync = el("td", { "data-field": "first_sync" });
      firstSync(sync, flow.first_sync);
      row.appendChild(sync);
      row.addEventListener("click", () => select(flow.flow));
      body.appendChild(row);
    }
  }

  function drawSummary(status) {
    $("app-id").textContent = status.app_id;
    const counts = { running: 0, paused: 0, failing: 0 };
    for (const flow of status.flows) counts[flow.state] += 1;
    $("summary").textContent =
      `${status.flows.length} flows: ${counts.running} running, ` +
      `${counts.paused} paused, ${counts.failing} failing`;
    $("summary").className = status.ok ? "" : "state failing";
    $("updated").textContent = "updated " + when(status.at);
  }

  async function poll() {
    try {
      const status = await getJson("/status");
      lastStatus = status;
      trackRates(status);
      drawSummary(status);
      drawGraph(status);
      drawTable(status);
      showProblem("");
      if (selected) {
        drawDetailState(status.flows.find((f) => f.flow === selected));
        if (polls % DETAIL_EVERY === 0) await loadDetail();
      }
    } catch (error) {
      showProblem("status unavailable: " + error.message);
    }
    polls += 1;
    window.setTimeout(poll, POLL_MS);
  }

  function select(flow) {
    selected = flow;
    $("detail").hidden = false;
    $("detail-flow").textContent = flow;
    $("detail-state").textContent = "loading…";
    $("pause").disabled = true; // until the flow's state is known
    $("resume").disabled = true;
    for (const row of $("flows").tBodies[0].rows) {
      row.classList.toggle("selected", row.dataset.flow === flow);
    }
    loadDetail().catch((error) => showProblem("flow unavailable: " + error.message));
  }

  function fillRows(table, rows) {
    const body = table.tBodies[0];
    body.replaceChildren();
    if (!rows.length) {
      const row = el("tr");
      row.appendChild(el("td", { colspan: String(table.tHead.rows[0].cells.length) }, "none"));
      body.appendChild(row);
      return;
    }
    for (const cells of rows) {
      const row = el("tr");
      for (const cell of cells) row.appendChild(el("td", {}, cell === null ? "" : String(cell)));
      body.appendChild(row);
    }
  }

  async function loadDetail() {
    if (!selected) return;
    const flow = selected;
    const detail = await getJson("/flows/" + encodeURIComponent(flow));
    if (flow !== selected) return; // another flow was chosen meanwhile
    controlEnabled = detail.control_enabled;
    drawDetailState(detail.flow);
    fillRows($("writes"), detail.writes.map((w) => [
      when(w.written_at), w.op, `${w.system} ${w.entity} ${w.record_id}`, w.why,
      Object.keys(w.after || {}).join(", "),
    ]));
    fillRows($("letters"), detail.dead_letters.map((d) => [
      when(d.failed_at), `${d.system} ${d.entity} ${d.record_id}`, d.stage, d.reason,
    ]));
  }

  function drawDetailState(status) {
    const state = $("detail-state");
    state.replaceChildren();
    if (status) {
      state.appendChild(el("span", { class: "state " + status.state }, status.state));
      if (status.reason) state.appendChild(document.createTextNode(" — " + status.reason));
    }
    if (controlEnabled !== null) drawControls(controlEnabled, status ? status.state : "");
  }

  function drawControls(enabled, state) {
    const note = $("control-note");
    const tokenRow = $("token-row");
    const token = window.sessionStorage.getItem(TOKEN_KEY);
    $("pause").disabled = !enabled || state === "paused";
    $("resume").disabled = !enabled || state !== "paused";
    tokenRow.hidden = !enabled || Boolean(token);
    if (!enabled) {
      note.textContent = "pause and resume are off: set TETHER_CONTROL_TOKEN on the worker";
    } else if (note.dataset.sticky !== "1") {
      note.textContent = token ? "" : "enter the control token once for this tab";
    }
  }

  async function control(action) {
    const flow = selected;
    const note = $("control-note");
    const typed = $("token").value.trim();
    if (typed) window.sessionStorage.setItem(TOKEN_KEY, typed);
    const token = window.sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      note.textContent = "enter the control token first";
      return;
    }
    const response = await fetch(`/flows/${encodeURIComponent(flow)}/${action}`, {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({}),
    });
    const body = await response.json();
    note.dataset.sticky = "1";
    if (response.ok) {
      note.textContent = `${flow}: ${body.paused ? "paused" : "resumed"}`;
    } else {
      if (response.status === 401) window.sessionStorage.removeItem(TOKEN_KEY);
      note.textContent = body.detail || response.statusText;
    }
    $("token").value = "";
    await loadDetail();
  }

  function start() {
    $("pause").addEventListener("click", () => {
      control("pause").catch((error) => showProblem(error.message));
    });
    $("resume").addEventListener("click", () => {
      control("resume").catch((error) => showProblem(error.message));
    });
    $("close").addEventListener("click", () => {
      selected = null;
      $("detail").hidden = true;
      if (lastStatus) drawTable(lastStatus);
    });
    poll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
