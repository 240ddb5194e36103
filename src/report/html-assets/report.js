// offload-sim report: draws the charts from the data embedded in the page.
// Plain browser JavaScript; Chart.js is inlined in the page before this script.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var css = getComputedStyle(document.documentElement);
  var stageColors = ["--s0", "--s1", "--s2", "--s3", "--s4", "--s5"].map(function (v) { return css.getPropertyValue(v).trim(); });
  var muted = css.getPropertyValue("--muted").trim();
  var seriesColors = ["#4f5bd5", "#14a3a3", "#e08a1e", "#d0436e", "#7f56d9", "#5fa53a"];
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  Chart.defaults.color = muted;

  function ns(v) {
    if (v < 1000) return v.toFixed(v < 10 ? 1 : 0) + " ns";
    if (v < 1e6) return (v / 1000).toFixed(v < 1e4 ? 2 : 1) + " µs";
    return (v / 1e6).toFixed(2) + " ms";
  }
  function pct(v) { return Math.round(v * 100) + " %"; }
  function level(u) { return u >= 0.9 ? "#d0364a" : u >= 0.6 ? "#e08a1e" : "#1f9d63"; }
  function canvas(id) { return document.getElementById(id); }
  function stageColor(s) { return stageColors[s % stageColors.length]; }

  // Throughput vs cores.
  if (canvas("chart-throughput")) {
    // Curves take the palette in turn; a line rate is dashed in its curve's colour (grey alone), a prediction amber.
    var curves = data.throughput.series.filter(function (s) { return s.role === "curve"; });
    var curveColor = function (i) { return seriesColors[i % seriesColors.length]; };
    var sets = data.throughput.series.map(function (s) {
      var color = s.role === "curve" ? curveColor(curves.indexOf(s)) : s.role === "prediction" ? "#e08a1e" : s.of !== undefined ? curveColor(s.of) : muted;
      var dashed = s.role !== "curve";
      return { label: s.label, data: s.points, borderColor: color, backgroundColor: color, borderDash: dashed ? [6, 4] : [], pointRadius: s.role === "line-rate" ? 0 : 5, pointStyle: s.role === "prediction" ? "rectRot" : "circle", borderWidth: 2, showLine: s.points.length > 1 };
    });
    var maxX = Math.max.apply(null, data.throughput.series.flatMap(function (s) { return s.points.map(function (p) { return p.x; }); }).concat([1]));
    new Chart(canvas("chart-throughput"), {
      type: "line",
      data: { datasets: sets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", min: 0, suggestedMax: maxX + 1, title: { display: true, text: "cores" }, ticks: { precision: 0 } },
          y: { beginAtZero: true, title: { display: true, text: "Mpps" } },
        },
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.y.toFixed(2) + " Mpps at " + c.parsed.x + " cores"; } } } },
      },
    });
  }

  // Latency distribution, with the percentiles marked.
  if (data.latency && canvas("chart-latency")) {
    var bins = data.latency.bins;
    var markerPlugin = {
      id: "percentiles",
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x, ctx = chart.ctx, area = chart.chartArea;
        if (bins.length === 0) return;
        var width = bins.length > 1 ? x.getPixelForValue(1) - x.getPixelForValue(0) : area.right - area.left;
        data.latency.markers.forEach(function (m, k) {
          var i = bins.findIndex(function (b) { return m.ns >= b[0] && m.ns <= b[1]; });
          if (i < 0) i = m.ns < bins[0][0] ? 0 : bins.length - 1;
          var b = bins[i];
          var frac = b[1] > b[0] ? Math.log(Math.max(m.ns, b[0]) / b[0]) / Math.log(b[1] / b[0]) : 0.5;
          var px = x.getPixelForValue(i) + (Math.min(1, Math.max(0, frac)) - 0.5) * width;
          ctx.save();
          ctx.strokeStyle = ["#1f9d63", "#e08a1e", "#d0364a"][k % 3];
          ctx.setLineDash([4, 3]);
          ctx.lineWidth = 1.5;
          ctx.beginPath(); ctx.moveTo(px, area.top - 30 + 11 * k); ctx.lineTo(px, area.bottom); ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = ctx.strokeStyle;
          ctx.font = "600 11px system-ui, sans-serif";
          // Labels step down one line each, and turn left near the right edge, so close percentiles stay readable.
          // Above the bars, one line each, turned left near the right edge: close percentiles stay readable.
          ctx.textAlign = px > area.right - 40 ? "right" : "left";
          ctx.textBaseline = "middle";
          ctx.fillText(m.label, ctx.textAlign === "right" ? px - 4 : px + 4, area.top - 30 + 11 * k);
          ctx.restore();
        });
      },
    };
    new Chart(canvas("chart-latency"), {
      type: "bar",
      data: { labels: bins.map(function (b) { return ns(Math.sqrt(Math.max(b[0], 1) * b[1])); }), datasets: [{ label: "packets", data: bins.map(function (b) { return b[2]; }), backgroundColor: "rgba(79, 91, 213, 0.75)", borderRadius: 2, barPercentage: 1, categoryPercentage: 0.95 }] },
      options: {
        layout: { padding: { top: 40 } },
        scales: { x: { title: { display: true, text: "latency (log bins)" }, ticks: { maxRotation: 0, autoSkipPadding: 12 } }, y: { beginAtZero: true, title: { display: true, text: "packets" } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: function (items) { var b = bins[items[0].dataIndex]; return ns(b[0]) + " to " + ns(b[1]); } } } },
      },
      plugins: [markerPlugin],
    });
  }

  function utilisationChart(id, rows, colorOf) {
    if (!rows || !canvas(id)) return;
    new Chart(canvas(id), {
      type: "bar",
      data: { labels: rows.map(function (r) { return r.label; }), datasets: [{ label: "busy", data: rows.map(function (r) { return r.utilization * 100; }), backgroundColor: rows.map(colorOf), borderRadius: 3 }] },
      options: {
        indexAxis: "y",
        scales: { x: { min: 0, suggestedMax: 100, title: { display: true, text: "% of the time busy" } }, y: { ticks: { autoSkip: false, font: { size: rows.length > 24 ? 9 : 12 } } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return c.parsed.x.toFixed(1) + " % busy"; } } } },
      },
    });
  }
  utilisationChart("chart-cores", data.cores, function (r) { return stageColor(r.stage); });
  utilisationChart("chart-units", data.units, function (r) { return level(r.utilization); });

  // Timeline: each packet's wait and its stages, as bars along time.
  if (data.timeline && canvas("chart-timeline")) {
    var packets = data.timeline;
    var labels = packets.map(function (p) { return p.label; });
    var sets2 = [{ label: "waiting for a thread", data: packets.map(function (p) { return [p.waitNs[0], p.waitNs[1]]; }), backgroundColor: "rgba(138, 147, 166, 0.35)", borderRadius: 3 }];
    for (var s = 0; s < Math.max(1, data.stageCount); s++) {
      (function (stage) {
        sets2.push({
          label: "stage " + stage,
          data: packets.map(function (p) { var v = p.stages.find(function (x) { return x.stage === stage; }); return v ? [v.startNs, v.endNs] : null; }),
          cores: packets.map(function (p) { var v = p.stages.find(function (x) { return x.stage === stage; }); return v ? v.core : null; }),
          backgroundColor: stageColor(stage),
          borderRadius: 3,
        });
      })(s);
    }
    new Chart(canvas("chart-timeline"), {
      type: "bar",
      data: { labels: labels, datasets: sets2 },
      options: {
        indexAxis: "y",
        grouped: false,
        scales: { x: { type: "linear", min: 0, title: { display: true, text: "time since the first of these packets arrived" }, ticks: { callback: function (v) { return ns(v); } } }, y: { stacked: true } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) { var r = c.raw; var core = c.dataset.cores ? " on core " + c.dataset.cores[c.dataIndex] : ""; return c.dataset.label + core + ": " + ns(r[0]) + " to " + ns(r[1]); } } },
        },
      },
    });
  }
  document.documentElement.setAttribute("data-charts", "ready");
})();
