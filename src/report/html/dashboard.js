// The CI dashboard: per scenario, strip plots (one dot per seed, a box from the 25th to the 75th
// percentile with the median) of TTD, TTM, TTR and unsafe answers; regressions; failing runs with
// their replay commands and reports.
(function () {
  "use strict";
  var D = GD.data();
  var host = document.getElementById("dashboard");
  var METRICS = [["ttd", "TTD", GD.duration], ["ttm", "TTM", GD.duration], ["ttr", "TTR", GD.duration],
                 ["unsafe", "unsafe answers", function (v) { return String(v); }]];

  // Nearest-rank percentile of sorted values.
  function pct(sorted, p) {
    return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  }

  function strip(sc, metric, label, fmt, regressed) {
    var W = 720, H = 64, L = 130, R = 20;
    var runs = sc.results;
    var values = runs.filter(function (r) { return r.metrics[metric] !== null && r.metrics[metric] !== undefined; })
                     .map(function (r) { return r.metrics[metric]; }).sort(function (a, b) { return a - b; });
    var missing = runs.length - values.length;
    var max = values.length ? Math.max(values[values.length - 1], 1) : 1;
    var x = function (v) { return L + v / max * (W - L - R); };
    var root = GD.svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
                               class: "strip" + (regressed ? " regressed" : ""), "data-metric": metric,
                               "aria-label": sc.name + " " + label });
    root.appendChild(GD.svg("rect", { x: 0.5, y: 0.5, width: W - 1, height: H - 1, class: "frame" }));
    root.appendChild(GD.svg("text", { x: 6, y: 24, class: "label" }, label + (regressed ? " (regressed)" : "")));
    root.appendChild(GD.svg("text", { x: 6, y: 40, class: "tick" },
                            values.length + " of " + runs.length + " runs" + (missing ? ", " + missing + " not reached" : "")));
    root.appendChild(GD.svg("line", { x1: L, x2: W - R, y1: 46, y2: 46, class: "axis" }));
    [0, max / 2, max].forEach(function (t) {
      root.appendChild(GD.svg("text", { x: x(t), y: 60, class: "tick", "text-anchor": "middle" }, fmt(t)));
    });
    if (values.length) {
      var q1 = pct(values, 0.25), q2 = pct(values, 0.5), q3 = pct(values, 0.75);
      root.appendChild(GD.title(GD.svg("rect", { x: x(q1), y: 10, width: Math.max(1, x(q3) - x(q1)), height: 28, class: "box" }),
        "p25 " + fmt(q1) + ", median " + fmt(q2) + ", p75 " + fmt(q3) + ", max " + fmt(values[values.length - 1])));
      root.appendChild(GD.svg("line", { x1: x(q2), x2: x(q2), y1: 8, y2: 40, class: "median" }));
    }
    runs.forEach(function (r, i) {
      var v = r.metrics[metric];
      if (v === null || v === undefined) return;
      // Seeds spread over the box height in a fixed pattern, so equal values stay visible.
      var y = 14 + (i * 7) % 22;
      root.appendChild(GD.title(GD.svg("circle", { cx: x(v), cy: y, r: 3.5, class: "run" + (r.pass ? "" : " failed"),
                                                   "data-seed": r.seed }),
                                "seed " + r.seed + ": " + fmt(v) + (r.pass ? "" : " (failed)")));
    });
    return root;
  }

  D.scenarios.forEach(function (sc) {
    var failing = sc.passed < sc.runs || sc.regressions.length > 0;
    var box = GD.el("section", { class: "scenario" + (failing ? " failing" : ""), "data-scenario": sc.name });
    var head = GD.el("h2");
    head.appendChild(GD.el("span", { class: "verdict verdict-" + (failing ? "fail" : "pass") }, failing ? "FAIL" : "PASS"));
    head.appendChild(document.createTextNode(" " + sc.name));
    box.appendChild(head);
    box.appendChild(GD.el("p", { class: "meta" }, sc.passed + " of " + sc.runs + " runs passed \u00b7 " + sc.file +
      (sc.baseline_ok === null ? "" : sc.baseline_ok ? " \u00b7 baseline held" : " \u00b7 baseline regressed")));
    var regressed = {};
    if (sc.regressions.length) {
      var reg = GD.el("div", { class: "regressions" });
      reg.appendChild(GD.el("strong", {}, "Regressions against the baseline"));
      var ul = GD.el("ul");
      sc.regressions.forEach(function (g) {
        regressed[g.metric] = true;
        var li = GD.el("li", {}, g.metric + ": " + g.detail + " \u2014 replay: ");
        li.appendChild(GD.el("code", {}, g.replay));
        ul.appendChild(li);
      });
      reg.appendChild(ul);
      box.appendChild(reg);
    }
    METRICS.forEach(function (m) { box.appendChild(strip(sc, m[0], m[1], m[2], regressed[m[0]])); });
    var failed = sc.results.filter(function (r) { return !r.pass || r.steps_not_run.length; });
    if (failed.length) {
      box.appendChild(GD.el("h3", {}, "Failing runs"));
      var table = GD.el("table", { class: "failures" });
      var hr = GD.el("tr");
      ["seed", "what failed", "replay", "report"].forEach(function (h) { hr.appendChild(GD.el("th", {}, h)); });
      table.appendChild(hr);
      failed.forEach(function (r) {
        var tr = GD.el("tr", { "data-seed": r.seed });
        tr.appendChild(GD.el("td", {}, String(r.seed)));
        tr.appendChild(GD.el("td", {}, r.failures.concat(r.steps_not_run).join("; ")));
        var cmd = GD.el("td");
        cmd.appendChild(GD.el("code", {}, r.replay));
        tr.appendChild(cmd);
        var rep = GD.el("td");
        if (r.report) rep.appendChild(GD.el("a", { href: r.report }, "report.html"));
        else rep.textContent = "(run ci with --out to keep reports)";
        tr.appendChild(rep);
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    host.appendChild(box);
  });
  if (!D.scenarios.length) host.appendChild(GD.el("p", {}, "No scenario ran."));
  GD.done();
})();
