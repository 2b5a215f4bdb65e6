// `gameday history trend --html`: TTD, TTM and TTR (minutes, left axis) and unsafe answers (right
// axis) of one scenario's recorded runs, oldest first; the table below is static HTML.
(function () {
  "use strict";
  var D = GD.data();
  var host = document.getElementById("trend");
  var runs = D.runs;
  var x = runs.map(function (r, i) { return i + 1; });
  var minutes = function (key) {
    return runs.map(function (r) { return r[key] === null ? null : Math.round(r[key] / 6) / 10; });
  };
  var describe = function (i) {
    var r = runs[i - 1];
    return r ? "run " + r.id + " \u00b7 " + r.recorded_at + " \u00b7 seed " + r.seed + " \u00b7 " + r.mode + " \u00b7 " + r.verdict : "";
  };
  var wrap = GD.el("figure", { class: "chart", "data-chart": "trend" });
  wrap.appendChild(GD.el("figcaption", {}, D.scenario + ": TTD, TTM, TTR (minutes) and unsafe answers per run"));
  host.appendChild(wrap);
  var line = function (label, values, color, scale, fmt) {
    return { label: label, stroke: color, scale: scale, width: 1.5, spanGaps: true, points: { show: true, size: 6 },
             value: function (u, v) { return v === null || v === undefined ? "-" : fmt(v); } };
  };
  var mins = function (v) { return v + " min"; };
  var u = new uPlot({
    width: Math.max(480, host.clientWidth - 4),
    height: 300,
    scales: { x: { time: false }, min: { auto: true, range: function (u, a, b) { return [0, Math.max(b || 1, 1)]; } },
              n: { auto: true, range: function (u, a, b) { return [0, Math.max(b || 1, 1)]; } } },
    axes: [{ label: "recorded runs, oldest first", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
             values: function (u, s) { return s.map(function (v) { return "#" + v; }); } },
           { scale: "min", label: "minutes" },
           { scale: "n", side: 1, label: "unsafe answers", grid: { show: false } }],
    series: [{ label: "run", value: function (u, v) { return describe(v); } },
             line("TTD", minutes("ttd_s"), GD.PALETTE[0], "min", mins),
             line("TTM", minutes("ttm_s"), GD.PALETTE[2], "min", mins),
             line("TTR", minutes("ttr_s"), GD.PALETTE[4], "min", mins),
             line("unsafe", null, GD.PALETTE[1], "n", String)],
    legend: { live: true },
  }, [x, minutes("ttd_s"), minutes("ttm_s"), minutes("ttr_s"), runs.map(function (r) { return r.unsafe; })], wrap);
  GD.charts.push(u);
  u.gdContainer = host;
  GD.done();
})();
