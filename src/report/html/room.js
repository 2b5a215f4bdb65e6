// The drill room (gameday drill --room): live SLI charts, alerts, the assistant's state, recent
// requests and an action console for the trainee; for the facilitator also the truth (faults,
// unsafe answers), fault injection, the clock and hints. Everything comes from the drill's
// filtered journal stream (/room/api/stream); actions are POSTed and journaled by the drill.
(function () {
  "use strict";
  var C = GD.data();
  var FAC = C.view === "facilitator";
  // A control port with a token: the page was opened with ?token=T; its own requests carry it too.
  var TOKEN = new URLSearchParams(location.search).get("token");
  var params = [];
  if (FAC) params.push("key=" + encodeURIComponent(C.key));
  if (TOKEN) params.push("token=" + encodeURIComponent(TOKEN));
  var KEY = params.length ? "?" + params.join("&") : "";
  var AUTH = TOKEN ? { Authorization: "Bearer " + TOKEN } : {};
  var root = document.getElementById("room");
  var clock = document.getElementById("room-clock");
  var el = GD.el;

  // ---- state built from the stream
  var S = {
    t: 0, over: false, duration: C.duration_s, state: {}, firing: {}, acked: {}, minutes: [],
    recent: [], log: [], faults: {}, unsafe: 0, unsafeRecent: [], dirty: true,
    // Panels with buttons are redrawn only when what they show changed, so a button is not
    // replaced under the pointer.
    alertsDirty: true, stateDirty: true, truthDirty: true,
  };

  function minute(m) {
    while (S.minutes.length <= m) S.minutes.push({ n: 0, ok: 0, failed: 0, lat: [] });
    return S.minutes[m];
  }

  function pct(sorted, p) { return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]; }

  // ---- layout
  function panel(id, title, parent) {
    var p = el("section", { class: "panel", id: id });
    p.appendChild(el("h2", {}, title));
    (parent || root).appendChild(p);
    return p;
  }
  var left = el("div", { class: "room-main" });
  var right = el("div", { class: "room-side" });
  root.appendChild(left);
  root.appendChild(right);
  var charts = panel("room-charts", "Production SLIs (per minute)", left);
  var recentPanel = panel("room-requests", "Recent requests (the latest 12; pseudonyms only)", left);
  var alertsPanel = panel("room-alerts", "Alerts", right);
  var statePanel = panel("room-state", "Assistant", right);
  var consolePanel = panel("room-console", "Actions", right);
  var logPanel = panel("room-log", "Log", right);
  var status = el("p", { class: "room-status", id: "room-status", role: "status" }, "");
  consolePanel.appendChild(status);

  // ---- charts (uPlot, redrawn once a second when something changed)
  var x = [], rate = [], avail = [], p95 = [], failed = [];
  var rateChart = GD.chart(charts, { id: "room-rate", title: "Requests per second", x: [0, 60], y: { min: 0 },
    series: [{ label: "requests/s", values: [null, null], color: GD.PALETTE[0] }] });
  var availChart = GD.chart(charts, { id: "room-availability", title: "Availability", x: [0, 60], y: { max: 1, fmt: GD.percent },
    series: [{ label: "availability", values: [null, null], color: GD.PALETTE[2], fmt: GD.percent }] });
  var latChart = GD.chart(charts, { id: "room-latency", title: "Latency p95 (seconds)", x: [0, 60], y: { min: 0 },
    series: [{ label: "p95", values: [null, null], color: GD.PALETTE[3], fmt: function (v) { return GD.number(v, 3) + " s"; } }] });
  var failChart = GD.chart(charts, { id: "room-failed", title: "Failed answers per minute", x: [0, 60], y: { min: 0 },
    series: [{ label: "failed", values: [null, null], color: GD.PALETTE[1], fmt: String }] });

  function redraw() {
    if (!S.dirty) return;
    S.dirty = false;
    x = []; rate = []; avail = []; p95 = []; failed = [];
    S.minutes.forEach(function (b, m) {
      x.push(m * 60);
      rate.push(b.n ? Math.round(b.n / 60 * 1000) / 1000 : 0);
      avail.push(b.n ? b.ok / b.n : null);
      var sorted = b.lat.slice().sort(function (a, c) { return a - c; });
      p95.push(sorted.length ? pct(sorted, 0.95) : null);
      failed.push(b.failed);
    });
    if (!x.length) return;
    rateChart.setData([x, rate]);
    availChart.setData([x, avail]);
    latChart.setData([x, p95]);
    failChart.setData([x, failed]);
    renderRecent();
    renderLog();
    if (S.alertsDirty) { S.alertsDirty = false; renderAlerts(); }
    if (S.stateDirty) { S.stateDirty = false; renderState(); }
    if (FAC && S.truthDirty) { S.truthDirty = false; renderTruth(); }
  }
  setInterval(redraw, 1000);

  // ---- panels
  function renderRecent() {
    var t = el("table", { class: "recent" });
    var head = el("tr");
    ["time", "id", "task", "patient", "status", "latency", "prompt", "spans (dependency calls)", "citations", "cause"].forEach(function (h) {
      head.appendChild(el("th", {}, h));
    });
    t.appendChild(head);
    S.recent.slice(-12).reverse().forEach(function (r) {
      var tr = el("tr", { class: "status-" + r.status });
      [GD.offset(r.t_us / 1e6), String(r.id), r.task_type, r.patient_ref, r.status,
       GD.number(r.latency_us / 1e6, 2) + " s", r.prompt_version || "-", spans(r), (r.citations === undefined ? 1 : r.citations) + (r.citations_valid === false ? " (invalid)" : ""), r.cause || ""].forEach(function (v) {
        tr.appendChild(el("td", {}, v));
      });
      t.appendChild(tr);
    });
    recentPanel.replaceChildren(recentPanel.firstChild, t);
  }

  // "ehr Coverage 200 0.12s, primary nw-clinical-large 200 2.3s" from a request's spans.
  function spans(r) {
    if (!r.spans || !r.spans.length) return (r.attempts === undefined ? 1 : r.attempts) + " model, " + (r.ehr_calls === undefined ? 1 : r.ehr_calls) + " EHR calls";
    return r.spans.map(function (c) {
      var who = c.dependency === "ehr" ? "ehr" : (c.dependency === "embeddings" ? "embed " : "") + c.vendor;
      return who + (c.resource ? " " + c.resource : "") + " " + (c.status || "no answer") + " " +
        GD.number(c.latency_us / 1e6, 2) + "s";
    }).join(", ");
  }

  function renderAlerts() {
    var list = el("ul", { class: "alerts" });
    var names = Object.keys(S.firing);
    if (!names.length) list.appendChild(el("li", { class: "quiet" }, "No alert is firing."));
    names.forEach(function (name) {
      var a = S.firing[name];
      var li = el("li", { class: "alert-firing", "data-alert": name });
      li.appendChild(el("strong", {}, name));
      li.appendChild(document.createTextNode(" (" + a.severity + ") since " + GD.offset(a.t) + ": " + a.summary + " "));
      var rule = C.alerts.filter(function (r) { return r.name === name; })[0];
      if (rule && rule.runbook) {
        li.appendChild(el("a", { href: rule.runbook, target: "_blank", rel: "noopener", "data-runbook": name }, "runbook"));
        li.appendChild(document.createTextNode(" "));
      }
      if (S.acked[name]) {
        li.appendChild(el("span", { class: "acked" }, "acknowledged by " + S.acked[name]));
      } else {
        var b = el("button", { type: "button", "data-action": "ack", "data-alert": name }, "Acknowledge");
        b.addEventListener("click", function () { act({ action: "ack", alert: name }); });
        li.appendChild(b);
      }
      list.appendChild(li);
    });
    alertsPanel.replaceChildren(alertsPanel.firstChild, list);
  }

  function renderState() {
    var dl = el("dl", { class: "state" });
    Object.keys(S.state).sort().forEach(function (k) {
      dl.appendChild(el("dt", {}, k));
      dl.appendChild(el("dd", { "data-state": k }, S.state[k]));
    });
    statePanel.replaceChildren(statePanel.firstChild, dl);
  }

  function renderLog() {
    var ul = el("ul", { class: "log" });
    S.log.slice(-40).reverse().forEach(function (line) { ul.appendChild(el("li", {}, line)); });
    logPanel.replaceChildren(logPanel.firstChild, ul);
  }

  function log(t, text) {
    S.log.push(GD.offset(t) + "  " + text);
  }

  // ---- actions
  function post(url, body) {
    return fetch(url, { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, AUTH),
                        body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function act(body) {
    status.textContent = "…";
    return post("/room/api/action" + (TOKEN ? "?token=" + encodeURIComponent(TOKEN) : ""), body).then(function (r) {
      status.textContent = r.ok ? body.action + ": done" : body.action + ": " + ((r.body.error && r.body.error.message) || r.body.error || "refused");
      status.className = "room-status " + (r.ok ? "ok" : "refused");
    });
  }

  function select(name, options) {
    var s = el("select", { name: name, "data-input": name });
    options.forEach(function (o) { s.appendChild(el("option", { value: o }, o)); });
    return s;
  }

  function button(label, action, fn) {
    var b = el("button", { type: "button", "data-action": action }, label);
    b.addEventListener("click", fn);
    return b;
  }

  function row(parent, label) {
    var r = el("div", { class: "console-row" });
    r.appendChild(el("span", { class: "console-label" }, label));
    parent.appendChild(r);
    return r;
  }

  function buildConsole() {
    var c = el("div", { class: "console" });
    var flagRow = row(c, "Flag");
    var flags = select("flag", []);
    flagRow.appendChild(flags);
    flagRow.appendChild(button("On", "flag-on", function () { act({ action: "flag", flag: flags.value, value: "on" }); }));
    flagRow.appendChild(button("Off", "flag-off", function () { act({ action: "flag", flag: flags.value, value: "off" }); }));
    var promptRow = row(c, "Prompt");
    promptRow.appendChild(button("Roll back", "prompt_rollback", function () { act({ action: "prompt_rollback" }); }));
    var prompts = select("prompt", C.prompts);
    promptRow.appendChild(prompts);
    promptRow.appendChild(button("Deploy", "prompt_deploy", function () { act({ action: "prompt_deploy", version: prompts.value }); }));
    var routeRow = row(c, "Route");
    var vendors = select("route", C.vendors);
    routeRow.appendChild(vendors);
    routeRow.appendChild(button("Route to vendor", "route", function () { act({ action: "route", to: vendors.value }); }));
    var shedRow = row(c, "Shed load");
    var share = el("input", { type: "number", min: "0", max: "1", step: "0.05", value: "0.25", "data-input": "share" });
    shedRow.appendChild(share);
    shedRow.appendChild(button("Shed", "shed", function () { act({ action: "shed", share: Number(share.value) }); }));
    if (C.playbooks.length) {
      var pbRow = row(c, "Playbook");
      var books = select("playbook", C.playbooks);
      pbRow.appendChild(books);
      pbRow.appendChild(button("Start", "playbook", function () { act({ action: "playbook", name: books.value }); }));
    }
    if (C.golden_sets.length) {
      var gRow = row(c, "Golden set");
      var sets = select("golden", C.golden_sets);
      gRow.appendChild(sets);
      gRow.appendChild(button("Run golden check", "golden", function () { act({ action: "golden", set: sets.value }); }));
    }
    var declRow = row(c, "Declare");
    declRow.appendChild(button("Mitigated", "declare-mitigated", function () { act({ action: "declare", state: "mitigated" }); }));
    declRow.appendChild(button("Resolved", "declare-resolved", function () { act({ action: "declare", state: "resolved" }); }));
    var causeRow = row(c, "Suspected cause");
    var causes = select("cause", C.causes);
    causeRow.appendChild(causes);
    causeRow.appendChild(button("Suspect", "suspect", function () { act({ action: "suspect", cause: causes.value }); }));
    var noteRow = row(c, "Note");
    var note = el("textarea", { rows: "2", maxlength: "2000", "data-input": "note" });
    noteRow.appendChild(note);
    noteRow.appendChild(button("Add note", "note", function () {
      if (note.value.trim()) act({ action: "note", text: note.value }).then(function () { note.value = ""; });
    }));
    consolePanel.insertBefore(c, status);
    return flags;
  }
  var flagSelect = buildConsole();

  // ---- the facilitator's truth and controls
  var truthPanel = null;
  function renderTruth() {
    var box = el("div");
    box.appendChild(el("p", { "data-truth": "unsafe" }, "Unsafe answers so far: " + S.unsafe));
    var ul = el("ul", { class: "faults" });
    var ids = Object.keys(S.faults);
    if (!ids.length) ul.appendChild(el("li", { class: "quiet" }, "No fault is active."));
    ids.forEach(function (id) {
      var f = S.faults[id];
      var li = el("li", { "data-fault": id }, id + " (" + f.kind + " on " + f.target + ") since " + GD.offset(f.t) + " ");
      li.appendChild(button("Remove", "remove-fault", function () {
        fetch("/faults/" + encodeURIComponent(id) + KEY, { method: "DELETE", headers: AUTH });
      }));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    var last = el("ul", { class: "unsafe" });
    S.unsafeRecent.slice(-8).reverse().forEach(function (r) {
      last.appendChild(el("li", {}, GD.offset(r.t_us / 1e6) + " #" + r.id + " " + r.task_type + " " + r.patient_ref + ": " + r.unsafe_kind));
    });
    box.appendChild(last);
    truthPanel.querySelector(".truth-live").replaceChildren(box);
  }

  if (FAC) {
    truthPanel = panel("room-truth", "Truth (facilitator only)", right);
    right.insertBefore(truthPanel, right.firstChild);
    truthPanel.appendChild(el("div", { class: "truth-live" }));
    var controls = el("div", { class: "console" });
    var clockRow = row(controls, "Clock");
    clockRow.appendChild(button("Pause", "pause", function () { post("/room/api/facilitator" + KEY, { action: "pause" }); }));
    clockRow.appendChild(button("Resume", "resume", function () { post("/room/api/facilitator" + KEY, { action: "resume" }); }));
    var speed = el("input", { type: "number", min: "0.1", step: "0.5", value: "1", "data-input": "speed" });
    clockRow.appendChild(speed);
    clockRow.appendChild(button("Set speed", "speed", function () {
      post("/room/api/facilitator" + KEY, { action: "speed", speed: Number(speed.value) });
    }));
    var hintRow = row(controls, "Hint");
    var hint = el("input", { type: "text", maxlength: "2000", "data-input": "hint" });
    hintRow.appendChild(hint);
    hintRow.appendChild(button("Send hint", "hint", function () {
      if (hint.value.trim()) post("/room/api/facilitator" + KEY, { action: "hint", text: hint.value }).then(function () { hint.value = ""; });
    }));
    var faultRow = row(controls, "Inject fault");
    var fault = el("textarea", { rows: "3", "data-input": "fault",
      placeholder: '{"id": "slow", "target": "vendor:primary", "kind": "latency", "delay": "8s", "for": "5m"}' });
    faultRow.appendChild(fault);
    var faultStatus = el("span", { class: "room-status" });
    faultRow.appendChild(button("Inject", "inject-fault", function () {
      fetch("/faults" + KEY, { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, AUTH),
                               body: fault.value })
        .then(function (r) { return r.json().then(function (j) { faultStatus.textContent = r.ok ? "injected " + j.id : (j.error && j.error.message) || "refused"; }); });
    }));
    faultRow.appendChild(faultStatus);
    truthPanel.appendChild(controls);
    // The incident model's marks so far (the scorer over the journal, every few seconds).
    var marks = el("div", { class: "marks" });
    truthPanel.insertBefore(marks, controls);
    setInterval(function () {
      if (S.over) return;
      fetch("/room/api/marks" + KEY, { headers: AUTH }).then(function (r) { return r.json(); }).then(function (j) {
        var ul = el("ul", { class: "faults" });
        (j.incidents || []).forEach(function (i) {
          ul.appendChild(el("li", { "data-incident": i.id }, "incident " + i.id + ": fault " + GD.offset(i.t_f) +
            ", first harm " + GD.offset(i.t_i) + ", detected " + GD.offset(i.t_d) + ", acknowledged " +
            GD.offset(i.t_a) + ", mitigated " + GD.offset(i.t_m) + ", recovered " + GD.offset(i.t_r) + "; " +
            i.unsafe + " unsafe, " + i.failed + " failed"));
        });
        if (!(j.incidents || []).length) ul.appendChild(el("li", { class: "quiet" }, "No incident yet."));
        marks.replaceChildren(ul);
      }).catch(function () {});
    }, 3000);
  }

  // ---- the stream
  function onEvent(e) {
    var t = e.t_us / 1e6;
    S.t = Math.max(S.t, t);
    S.dirty = true;
    switch (e.type) {
      case "run_start":
        S.duration = e.duration_us / 1e6;
        (e.initial_state || []).forEach(function (kv) {
          var i = kv.indexOf("=");
          S.state[kv.slice(0, i)] = kv.slice(i + 1);
        });
        var flagNames = Object.keys(S.state).filter(function (k) { return k.indexOf("flag.") === 0; })
          .map(function (k) { return k.slice(5); });
        flagSelect.replaceChildren();
        flagNames.forEach(function (f) { flagSelect.appendChild(el("option", { value: f }, f)); });
        document.getElementById("room-title").textContent = FAC ? "Drill room: facilitator, " + (C.scenario || "")
          : (C.scenario ? "On call: " + C.scenario : "On call");
        break;
      case "request":
        if (e.probe) return;
        var b = minute(Math.floor(t / 60));
        b.n += 1;
        if (e.status === "ok") b.ok += 1; else b.failed += 1;
        b.lat.push(e.latency_us / 1e6);
        S.recent.push(e);
        if (S.recent.length > 200) S.recent.splice(0, 100);
        if (FAC && e.unsafe) { S.unsafe += 1; S.unsafeRecent.push(e); S.truthDirty = true; }
        break;
      case "alert_fire":
        S.alertsDirty = true;
        S.firing[e.name] = { severity: e.severity, summary: e.summary, t: t };
        delete S.acked[e.name];
        log(t, "ALERT " + e.name + " firing: " + e.summary);
        break;
      case "alert_resolve":
        S.alertsDirty = true;
        delete S.firing[e.name];
        log(t, "resolved " + e.name);
        break;
      case "ack":
        S.alertsDirty = true;
        S.acked[e.alert] = e.who;
        log(t, e.who + " acknowledged " + e.alert);
        break;
      case "control_change":
        if (e.noop) break;
        var key = e.what === "flag" ? "flag." + e.key : e.what;
        S.stateDirty = true;
        S.state[key] = e.to;
        log(t, key + ": " + e.from + " -> " + e.to + " by " + e.by);
        break;
      case "playbook_start": log(t, "playbook " + e.playbook + " started (" + e.trigger + ")"); break;
      case "playbook_end": log(t, "playbook " + e.playbook + " " + e.outcome + (e.reason ? ": " + e.reason : "")); break;
      case "step_end": log(t, "  step " + e.name + ": " + e.outcome + (e.reason ? " (" + e.reason + ")" : "")); break;
      case "golden_result":
        log(t, "golden " + e.set + " by " + e.by + ": " + e.passed + "/" + e.total + (e.ok ? " passed" : " FAILED"));
        break;
      case "correction": log(t, "a clinician reported answer #" + e.request_id + " as wrong"); break;
      case "action":
        log(t, (e.action === "hint" ? "HINT: " + e.detail : e.by + " " + e.action + (e.target ? " " + e.target : "") +
            (e.detail && e.action !== "note" ? " " + e.detail : "") + (e.action === "note" ? ": " + e.detail : "") +
            (e.outcome !== "ok" ? " (refused: " + e.outcome + ")" : "")));
        break;
      case "fault_start": S.truthDirty = true; S.faults[e.id] = { kind: e.kind, target: e.target, t: t }; log(t, "fault " + e.id + " started"); break;
      case "fault_end": S.truthDirty = true; delete S.faults[e.id]; log(t, "fault " + e.id + " ended"); break;
      case "run_end":
        S.over = true;
        log(t, "the drill is over (" + e.reason + ")");
        break;
    }
  }

  setInterval(function () {
    clock.textContent = (S.over ? "Drill over at " : "") + GD.offset(S.t) + " of " + GD.duration(S.duration) +
      " · on call: " + C.trainee + (C.manual ? " · you are paged, nothing runs by itself" : "");
  }, 500);

  // A reconnected stream replays the journal from its start (the same events, in the same
  // order, for this view): skip what was already taken in.
  var processed = 0, index = 0;
  var source = new EventSource("/room/api/stream" + KEY);
  source.onopen = function () { index = 0; };
  source.onmessage = function (m) {
    index += 1;
    if (index <= processed) return;
    processed += 1;
    onEvent(JSON.parse(m.data));
  };
  source.onerror = function () { if (S.over) source.close(); };
  GD.done();
})();
