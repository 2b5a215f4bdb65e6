// report.html: the run's timeline (SVG) and its per-minute SLI charts (uPlot), from the data
// block the binary wrote. The tables below them are static HTML.
(function () {
  "use strict";
  var D = GD.data();
  var T = D.timeline;
  var S = D.series;
  var END = Math.max(D.run.end_s || 0, D.run.duration_s || 0, 60);
  GD.setFullRange(0, END);

  // ---- timeline: one lane per fault target, incident, alert, playbook; marker lanes after.
  var LANE = 22, LABEL = 190, AXIS = 24;

  function lanes() {
    var out = [];
    var targets = [];
    T.faults.forEach(function (f) { if (targets.indexOf(f.target) < 0) targets.push(f.target); });
    targets.forEach(function (target) {
      out.push({ label: "fault " + target, kind: "fault",
                 items: T.faults.filter(function (f) { return f.target === target; }) });
    });
    T.incidents.forEach(function (i) { out.push({ label: "incident " + i.id, kind: "incident", items: [i] }); });
    var alertNames = [];
    T.alerts.forEach(function (a) { if (alertNames.indexOf(a.name) < 0) alertNames.push(a.name); });
    alertNames.forEach(function (name) {
      out.push({ label: "alert " + name, kind: "alert",
                 items: T.alerts.filter(function (a) { return a.name === name; }) });
    });
    if (T.acks.length) out.push({ label: "acknowledged", kind: "ack", items: T.acks });
    var books = [];
    T.playbooks.forEach(function (p) { if (books.indexOf(p.playbook) < 0) books.push(p.playbook); });
    books.forEach(function (name) {
      out.push({ label: "playbook " + name, kind: "playbook",
                 items: T.playbooks.filter(function (p) { return p.playbook === name; }) });
    });
    if (T.changes.length) out.push({ label: "control changes", kind: "change", items: T.changes });
    var people = [];
    (T.actions || []).forEach(function (a) { if (people.indexOf(a.by) < 0) people.push(a.by); });
    people.forEach(function (by) {
      out.push({ label: by, kind: "action", items: T.actions.filter(function (a) { return a.by === by; }) });
    });
    if (T.golden.length) out.push({ label: "golden checks", kind: "golden", items: T.golden });
    return out;
  }

  var LANES = lanes();
  var host = document.getElementById("timeline");

  function span(a, b) { return GD.offset(a) + " to " + (b === null ? "run end" : GD.offset(b)); }

  function drawTimeline(min, max) {
    var width = Math.max(480, host.clientWidth || 900);
    var height = Math.max(1, LANES.length) * LANE + AXIS + 4;
    // Lanes line up with the charts' plot area below (same time under the same pixel).
    var area = GD.plotArea(host) || { left: LABEL, width: width - LABEL - 32 };
    var left = Math.max(LABEL, area.left), plotW = Math.max(100, Math.min(area.width, width - left - 4));
    var x = function (t) { return left + (Math.min(Math.max(t, min), max) - min) / (max - min) * plotW; };
    var visible = function (a, b) { return b >= min && a <= max; };
    var root = GD.svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                               class: "timeline", role: "img", "aria-label": "run timeline" });
    // grid and axis
    var step = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200].find(function (s) {
      return (max - min) / s <= Math.max(4, plotW / 90);
    }) || 86400;
    for (var g = Math.ceil(min / step) * step; g <= max; g += step) {
      root.appendChild(GD.svg("line", { x1: x(g), x2: x(g), y1: 0, y2: height - AXIS, class: "grid" }));
      root.appendChild(GD.svg("text", { x: x(g), y: height - 8, class: "tick", "text-anchor": "middle" },
                              GD.offset(g)));
    }
    if (LANES.length === 0) {
      root.appendChild(GD.svg("text", { x: LABEL, y: 16, class: "empty" }, "no faults, alerts or actions"));
    }
    LANES.forEach(function (lane, n) {
      var y = n * LANE;
      if (n % 2 === 1) root.appendChild(GD.svg("rect", { x: 0, y: y, width: width, height: LANE, class: "stripe" }));
      root.appendChild(GD.title(GD.svg("text", { x: 4, y: y + 15, class: "lane-label" },
                                       lane.label.length > 30 ? lane.label.slice(0, 29) + "\u2026" : lane.label),
                                lane.label));
      lane.items.forEach(function (it) { drawItem(root, lane.kind, it, y, x, visible); });
    });
    host.replaceChildren(root);
  }

  function bar(root, kind, cls, a, b, y, x, text, label) {
    var end = b === null ? END : b;
    var x0 = x(a), x1 = Math.max(x(end), x0 + 2);
    var r = GD.svg("rect", { x: x0, y: y + 4, width: x1 - x0, height: LANE - 8, rx: 2,
                             class: cls, "data-kind": kind });
    root.appendChild(GD.title(r, text));
    if (label && x1 - x0 > label.length * 6.5 + 6) {
      root.appendChild(GD.title(GD.svg("text", { x: x0 + 3, y: y + 15, class: "bar-label" }, label), text));
    }
  }

  function marker(root, kind, cls, t, y, x, text, glyph) {
    var cx = x(t), cy = y + LANE / 2;
    var g = GD.svg("g", { class: cls, "data-kind": kind });
    g.appendChild(GD.svg("path", { d: "M" + cx + " " + (cy - 6) + " L" + (cx + 6) + " " + cy + " L" + cx + " " +
                                      (cy + 6) + " L" + (cx - 6) + " " + cy + " Z" }));
    if (glyph) g.appendChild(GD.svg("text", { x: cx + 8, y: cy + 4, class: "marker-label" }, glyph));
    root.appendChild(GD.title(g, text));
  }

  function drawItem(root, kind, it, y, x, visible) {
    if (kind === "fault") {
      if (!visible(it.start, it.end === null ? END : it.end)) return;
      bar(root, kind, "fault", it.start, it.end, y, x,
          "fault " + it.id + " (" + it.kind + ") on " + it.target + ", " + span(it.start, it.end) +
          (it.detail ? "\n" + it.detail : ""), it.id);
    } else if (kind === "incident") {
      var to = it.t_r !== null ? it.t_r : (it.t_m !== null ? it.t_m : (it.harm_until !== null ? it.harm_until : END));
      if (visible(it.t_i, to)) {
        bar(root, kind, "incident", it.t_i, to, y, x,
            "incident " + it.id + ": first harm " + GD.offset(it.t_i) + ", " + it.unsafe + " unsafe, " +
            it.failed + " failed" + (it.detected_by ? ", detected by " + it.detected_by : ", undetected") +
            (it.mitigated_by ? ", mitigated by " + it.mitigated_by : ", not mitigated"));
      }
      var marks = [["f", "fault start", it.t_f], ["i", "first harm", it.t_i], ["d", "detected", it.t_d],
                   ["a", "acknowledged", it.t_a], ["m", "mitigated", it.t_m], ["r", "recovered", it.t_r]];
      marks.forEach(function (m) {
        if (m[2] === null || !visible(m[2], m[2])) return;
        var cx = x(m[2]);
        var g = GD.svg("g", { class: "mark mark-" + m[0], "data-kind": "incident-mark", "data-mark": m[0] });
        g.appendChild(GD.svg("line", { x1: cx, x2: cx, y1: y + 1, y2: y + LANE - 1 }));
        g.appendChild(GD.svg("text", { x: cx + 2, y: y + 10 }, m[0]));
        root.appendChild(GD.title(g, "incident " + it.id + ": " + m[1] + " at " + GD.offset(m[2])));
      });
    } else if (kind === "alert") {
      if (!visible(it.fired, it.resolved === null ? END : it.resolved)) return;
      bar(root, kind, "alert alert-" + (it.severity || "none"), it.fired, it.resolved, y, x,
          "alert " + it.name + " (" + (it.severity || "no severity") + ") firing " + span(it.fired, it.resolved) +
          ", value " + GD.number(it.value, 4) + (it.summary ? "\n" + it.summary : ""), it.name);
    } else if (kind === "ack") {
      if (!visible(it.at, it.at)) return;
      marker(root, kind, "ack", it.at, y, x, it.who + " acknowledged " + it.alert + " at " + GD.offset(it.at));
    } else if (kind === "playbook") {
      if (!visible(it.start, it.end === null ? END : it.end)) return;
      bar(root, kind, "playbook outcome-" + (it.outcome || "running"), it.start, it.end, y, x,
          "playbook " + it.playbook + " (" + it.trigger + ") " + span(it.start, it.end) + ": " +
          (it.outcome || "never ended") + (it.reason ? " (" + it.reason + ")" : ""));
      it.steps.forEach(function (st) {
        var at = st.end === null ? st.start : st.end;
        if (!visible(at, at)) return;
        marker(root, "step", "step outcome-" + (st.outcome || "running"), at, y, x,
               "step " + st.name + " (" + st.kind + (st.rollback ? ", rollback" : "") + ") " +
               span(st.start, st.end) + ": " + (st.outcome || "never ended") + (st.reason ? "\n" + st.reason : ""));
      });
    } else if (kind === "change") {
      if (!visible(it.at, it.at)) return;
      var what = it.what + (it.key ? " " + it.key : "");
      marker(root, kind, "change", it.at, y, x,
             what + ": " + it.from + " \u2192 " + it.to + " by " + it.by + " at " + GD.offset(it.at));
    } else if (kind === "action") {
      if (!visible(it.at, it.at)) return;
      marker(root, kind, "action verdict-" + (it.outcome !== "ok" ? "refused" : (it.verdict || "none")), it.at, y, x,
             it.by + ": " + it.action + (it.target ? " " + it.target : "") + (it.detail ? " " + it.detail : "") +
             " at " + GD.offset(it.at) + (it.outcome !== "ok" ? " (refused: " + it.outcome + ")" : "") +
             (it.verdict ? " — " + it.verdict.replace("_", " ") : ""));
    } else if (kind === "golden") {
      if (!visible(it.at, it.at)) return;
      marker(root, kind, "golden " + (it.ok ? "ok" : "failed"), it.at, y, x,
             "golden set " + it.set + ": " + it.passed + "/" + it.total + (it.ok ? " passed" : " failed") +
             " (by " + it.by + ") at " + GD.offset(it.at));
    }
  }

  // ---- charts
  var charts = document.getElementById("charts");
  var faultBands = { ranges: T.faults.map(function (f) { return [f.start, f.end === null ? END : f.end]; }),
                     color: "rgba(214, 39, 40, 0.08)" };
  var x = S.t;
  var flat = function (v) { return x.map(function () { return v; }); };
  var count = function (v) { return String(v); };

  GD.chart(charts, { id: "requests", title: "Requests per second (user traffic, per-minute average)", x: x,
    bands: [faultBands], y: { min: 0 },
    series: [{ label: "requests/s", values: S.requests_per_s, color: GD.PALETTE[0] }] });

  var availability = [{ label: "availability", values: S.availability, color: GD.PALETTE[0], fmt: GD.percent }];
  S.slos.filter(function (s) { return s.sli === "availability"; }).forEach(function (s) {
    availability.push({ label: "SLO " + s.name + " objective", values: flat(s.objective), color: "#888",
                        dash: [6, 4], fmt: GD.percent, stepped: false });
  });
  GD.chart(charts, { id: "availability", title: "Availability (answered / requests)", x: x, bands: [faultBands],
    y: { max: 1, fmt: GD.percent }, series: availability });

  var latency = [{ label: "p50", values: S.p50_s, color: GD.PALETTE[2], fmt: function (v) { return GD.number(v, 3) + " s"; } },
                 { label: "p95", values: S.p95_s, color: GD.PALETTE[3], fmt: function (v) { return GD.number(v, 3) + " s"; } }];
  S.slos.filter(function (s) { return s.sli === "latency"; }).forEach(function (s) {
    latency.push({ label: "SLO " + s.name + " threshold", values: flat(s.threshold_s), color: "#888", dash: [6, 4],
                   fmt: function (v) { return GD.number(v, 3) + " s"; }, stepped: false });
  });
  GD.chart(charts, { id: "latency", title: "Latency of user requests (seconds)", x: x, bands: [faultBands],
    y: { min: 0 }, series: latency });

  function byKey(obj, label) {
    return Object.keys(obj).map(function (k, i) {
      return { label: label + k, values: obj[k], color: GD.PALETTE[(i + 1) % GD.PALETTE.length], fmt: count };
    });
  }
  var failed = byKey(S.failed, "");
  if (failed.length === 0) failed = [{ label: "failed", values: flat(0), color: GD.PALETTE[1], fmt: count }];
  GD.chart(charts, { id: "failed", title: "Failed answers per minute, by status", x: x, bands: [faultBands],
    y: { min: 0 }, series: failed });
  var unsafe = byKey(S.unsafe, "");
  if (unsafe.length === 0) unsafe = [{ label: "unsafe", values: flat(0), color: GD.PALETTE[1], fmt: count }];
  GD.chart(charts, { id: "unsafe", title: "Unsafe answers per minute, by kind (ground truth)", x: x,
    bands: [faultBands], y: { min: 0 }, series: unsafe });

  S.slos.filter(function (s) { return s.sli !== "availability"; }).forEach(function (s) {
    GD.chart(charts, { id: "slo-" + s.name, title: "SLO " + s.name + " (" + s.sli + "): share of good requests",
      x: x, bands: [faultBands], y: { max: 1, fmt: GD.percent },
      series: [{ label: s.sli, values: s.compliance, color: GD.PALETTE[4], fmt: GD.percent },
               { label: "objective", values: flat(s.objective), color: "#888", dash: [6, 4], fmt: GD.percent,
                 stepped: false }] });
  });

  S.burn.forEach(function (b) {
    GD.chart(charts, { id: "burn-" + b.alert, title: "Burn rate of SLO " + b.slo + " over " + GD.duration(b.window_s) +
      " (alert " + b.alert + "; shaded: firing)", x: x,
      bands: [{ ranges: b.fired.map(function (f) { return [f[0], f[1] === null ? END : f[1]]; }),
                color: "rgba(255, 127, 14, 0.18)" }],
      y: { min: 0 },
      series: [{ label: "burn rate", values: b.rate, color: GD.PALETTE[3], fmt: function (v) { return GD.number(v, 2) + "x"; } },
               { label: "budget pace", values: flat(1), color: "#888", dash: [6, 4], stepped: false,
                 fmt: function (v) { return GD.number(v, 2) + "x"; } }] });
  });

  // The SLIs the scenario's threshold alerts watch, against each rule's threshold.
  var RATIO = /_ratio$/;
  S.rules.forEach(function (r) {
    var fmt = RATIO.test(r.sli) ? GD.percent
      : /^latency_/.test(r.sli) ? function (v) { return GD.number(v, 3) + " s"; }
      : function (v) { return GD.number(v, 3); };
    var how = r.per_minute ? "per minute (the rule: over " + GD.duration(r.window_s) + ")" : "over " + GD.duration(r.window_s);
    GD.chart(charts, { id: "rule-" + r.alert, title: "Alert " + r.alert + ": " + r.sli + " " + how +
      ", threshold " + fmt(r.above) + " (shaded: firing)", x: x,
      bands: [{ ranges: r.fired.map(function (f) { return [f[0], f[1] === null ? END : f[1]]; }),
                color: "rgba(255, 127, 14, 0.18)" }],
      y: { min: 0, fmt: RATIO.test(r.sli) ? GD.percent : undefined },
      series: [{ label: r.sli, values: r.value, color: GD.PALETTE[5], fmt: fmt },
               { label: "threshold", values: flat(r.above), color: "#888", dash: [6, 4], stepped: false, fmt: fmt }] });
  });

  GD.onZoom(drawTimeline);
  drawTimeline(0, END);
  GD.done();
})();
