// gameday pages: shared chart code (uPlot set-up, the run-time axis, zoom shared by every chart,
// SVG helpers, printing). Loaded before the page script; everything lives on `GD`.
"use strict";
var GD = (function () {
  var SVG_NS = "http://www.w3.org/2000/svg";
  var charts = [];
  var zoomListeners = [];
  var syncing = false;
  var fullRange = null;

  // Reports a script failure on the page itself as well as on the console.
  window.addEventListener("error", function (e) {
    document.body.setAttribute("data-error", String(e.message || e));
  });

  function data() {
    return JSON.parse(document.getElementById("gameday-data").textContent);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  // Seconds since the run start as "T+mm:ss", or "T+h:mm:ss" past an hour.
  function offset(s) {
    if (s === null || s === undefined) return "-";
    var neg = s < 0;
    var t = Math.round(Math.abs(s));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    var body = h > 0 ? h + ":" + pad2(m) + ":" + pad2(sec) : pad2(m) + ":" + pad2(sec);
    return (neg ? "T-" : "T+") + body;
  }

  // A duration in seconds as "2m12s", "45s", "1h05m".
  function duration(s) {
    if (s === null || s === undefined) return "-";
    var t = Math.round(s);
    if (t < 60) return t + "s";
    if (t < 3600) return Math.floor(t / 60) + "m" + pad2(t % 60) + "s";
    return Math.floor(t / 3600) + "h" + pad2(Math.floor((t % 3600) / 60)) + "m";
  }

  function number(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    return String(Math.round(v * Math.pow(10, digits)) / Math.pow(10, digits));
  }

  function percent(v) {
    if (v === null || v === undefined) return "-";
    return number(v * 100, 3) + "%";
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // A hover text for an SVG element (shown by the browser, kept when printed to PDF).
  function title(node, text) {
    node.appendChild(svg("title", {}, text));
    return node;
  }

  // Ticks on the run-time axis: whole minutes and hours.
  // Width of the y axis: the charts' plot area starts where the timeline's lanes do.
  var AXIS_SIZE = 190;

  // The plot area of the first chart, relative to `node`: {left, width}; null without charts.
  function plotArea(node) {
    if (!charts.length) return null;
    var over = charts[0].over.getBoundingClientRect();
    var base = node.getBoundingClientRect();
    return { left: over.left - base.left, width: over.width };
  }

  var TIME_INCRS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function timeAxis() {
    return {
      incrs: TIME_INCRS,
      space: 70,
      values: function (u, splits) { return splits.map(offset); },
    };
  }

  // The visible time range, shared by every chart and the timeline.
  function range() {
    if (charts.length > 0) {
      var x = charts[0].scales.x;
      if (x.min !== null && x.max !== null && x.min !== undefined) return [x.min, x.max];
    }
    return fullRange;
  }

  function onZoom(fn) { zoomListeners.push(fn); }

  function notifyZoom() {
    var r = range();
    zoomListeners.forEach(function (fn) { fn(r[0], r[1]); });
  }

  function setRange(min, max) {
    syncing = true;
    charts.forEach(function (c) { c.setScale("x", { min: min, max: max }); });
    syncing = false;
    notifyZoom();
  }

  function resetZoom() {
    if (fullRange) setRange(fullRange[0], fullRange[1]);
  }

  function chartWidth(container) {
    return Math.max(320, Math.floor(container.clientWidth || 900) - 4);
  }

  // Shades [from, to] intervals (seconds) behind a chart's series.
  function bandHook(bands, color) {
    return function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.fillStyle = color;
      bands.forEach(function (b) {
        var x0 = u.valToPos(b[0], "x", true);
        var x1 = u.valToPos(b[1], "x", true);
        var left = Math.max(u.bbox.left, Math.min(x0, x1));
        var right = Math.min(u.bbox.left + u.bbox.width, Math.max(x0, x1));
        if (right > left) ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
      });
      ctx.restore();
    };
  }

  // A uPlot time chart in `container`, zooming with all the others.
  // spec: {title, x: [...], series: [{label, values, color, dash, width, fmt, stepped}],
  //        y: {min, max, label}, bands: [{ranges: [[a, b]], color}]}
  function chart(container, spec) {
    fullRange = fullRange || [spec.x[0], spec.x[spec.x.length - 1] + 60];
    var series = [{ label: "time", value: function (u, v) { return offset(v); } }];
    var values = [spec.x];
    spec.series.forEach(function (s) {
      var fmt = s.fmt || function (v) { return number(v, 3); };
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        spanGaps: false,
        paths: s.stepped === false ? undefined : uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
        value: function (u, v) { return v === null || v === undefined ? "-" : fmt(v); },
      });
      values.push(s.values);
    });
    var hooks = {
      drawAxes: (spec.bands || []).map(function (b) { return bandHook(b.ranges, b.color); }),
      setScale: [function (u, key) {
        if (key !== "x" || syncing) return;
        var min = u.scales.x.min, max = u.scales.x.max;
        syncing = true;
        charts.forEach(function (c) { if (c !== u) c.setScale("x", { min: min, max: max }); });
        syncing = false;
        notifyZoom();
      }],
    };
    // The data's extent, widened to include spec.y.min / spec.y.max (0 and 1 for shares).
    var yScale = {
      auto: true,
      range: function (u, dmin, dmax) {
        var lo = dmin, hi = dmax;
        if (spec.y && spec.y.min !== undefined) lo = lo === null ? spec.y.min : Math.min(spec.y.min, lo);
        if (spec.y && spec.y.max !== undefined) hi = hi === null ? spec.y.max : Math.max(spec.y.max, hi);
        if (lo === null || hi === null) return [0, 1];
        if (lo === hi) return [lo - 1, hi + 1];
        var padTop = spec.y && spec.y.max !== undefined && hi === spec.y.max ? 0 : (hi - lo) * 0.05;
        return [lo, hi + padTop];
      },
    };
    var wrap = el("figure", { class: "chart", "data-chart": spec.id || spec.title });
    wrap.appendChild(el("figcaption", {}, spec.title));
    container.appendChild(wrap);
    var opts = {
      width: chartWidth(container),
      height: spec.height || 170,
      scales: { x: { time: false, range: function (u, a, b) { return [a, b]; } }, y: yScale },
      padding: [8, 32, 0, 0],
      axes: [timeAxis(), { size: AXIS_SIZE, label: spec.y && spec.y.label, values: spec.y && spec.y.fmt ?
        function (u, splits) { return splits.map(spec.y.fmt); } : undefined }],
      series: series,
      cursor: { sync: { key: "gameday" }, drag: { x: true, y: false } },
      legend: { live: true },
      hooks: hooks,
    };
    var u = new uPlot(opts, values, wrap);
    u.gdContainer = container;
    charts.push(u);
    return u;
  }

  function resizeAll() {
    charts.forEach(function (c) { c.setSize({ width: chartWidth(c.gdContainer), height: c.height }); });
    notifyZoom();
  }

  window.addEventListener("resize", resizeAll);
  // Printing: fit the charts to the page width, and back afterwards.
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (c) { c.setSize({ width: 680, height: c.height }); });
    notifyZoom();
  });
  window.addEventListener("afterprint", resizeAll);

  function done() {
    var b = document.getElementById("reset-zoom");
    if (b) b.addEventListener("click", resetZoom);
    document.body.setAttribute("data-rendered", "true");
  }

  // Distinct colours for series and lanes, in order.
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];

  return {
    data: data, offset: offset, duration: duration, number: number, percent: percent,
    el: el, svg: svg, title: title, chart: chart, plotArea: plotArea, charts: charts, range: range,
    onZoom: onZoom, setRange: setRange, resetZoom: resetZoom, done: done, PALETTE: PALETTE,
    setFullRange: function (a, b) { fullRange = [a, b]; },
  };
})();
