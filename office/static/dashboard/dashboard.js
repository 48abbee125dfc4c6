/* 工作看板: the monthly trend charts (Apache ECharts, served from static/vendor/echarts) and,
   while the figures are being recomputed in the background, a poll that reloads the page once
   they are ready. The data is the page's own JSON block (#dashboard-data); nothing is fetched
   from anywhere but this application. */
(function () {
  "use strict";

  var dataEl = document.getElementById("dashboard-data");
  if (!dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var FONT = '"Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  var charts = [];
  var T = window.officeT || function (s) { return s; };

  function fmt(n) { return n.toLocaleString("zh-CN"); }

  function drawChart(el) {
    var key = el.getAttribute("data-key");
    var label = el.getAttribute("data-label");
    var trend = data.trend;
    var values = trend.series[key];
    var counts = trend.counts[key];
    var targets = trend.targets[key] || [];
    var chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      title: { text: label, left: 10, top: 6, textStyle: { fontSize: 14, fontWeight: "bold", fontFamily: FONT } },
      grid: { left: 48, right: 24, top: 40, bottom: 40 },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var p = params[0];
          if (!p) { return ""; }
          var c = counts[p.dataIndex];
          var text = trend.labels[p.dataIndex] + T("（截至 %(date)s）", {date: trend.dates[p.dataIndex]}) +
            "<br>" + label + T("：");
          if (p.value === null || p.value === undefined) { return text + T("暂无数据"); }
          return text + p.value.toFixed(1) + "%" + (c ? "（" + fmt(c[0]) + " / " + fmt(c[1]) + "）" : "");
        }
      },
      xAxis: {
        type: "category", data: trend.labels, boundaryGap: false,
        axisLabel: { fontFamily: FONT, hideOverlap: true }
      },
      yAxis: {
        type: "value", min: 0, max: 100, interval: 25,
        axisLabel: { formatter: "{value}%", fontFamily: FONT }
      },
      series: [{
        name: label, type: "line", data: values, connectNulls: false, symbolSize: 6,
        lineStyle: { width: 2 }, itemStyle: { color: "#337ab7" },
        markLine: {
          silent: true, symbol: "none",
          lineStyle: { type: "dashed", color: "#d43f3a" },
          label: { position: "insideEndTop", fontFamily: FONT, fontSize: 11 },
          data: targets.map(function (t) {
            return { yAxis: t.threshold, name: T("目标"),
                     label: { formatter: T("目标 %(threshold)s（%(due_on)s 前）",
                                           {threshold: t.threshold + "%", due_on: t.due_on}) } };
          })
        }
      }]
    });
    charts.push(chart);
  }

  var els = document.querySelectorAll(".dash-chart");
  for (var i = 0; i < els.length; i++) { drawChart(els[i]); }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  // While the stored figures are stale or missing: poll, and reload when a newer set is in.
  var status = document.getElementById("dash-status");
  if (!status) { return; }
  var state = status.getAttribute("data-state");
  var refresh = status.getAttribute("data-refresh");
  if (state === "fresh" || refresh === "failed") { return; }
  var rendered = status.getAttribute("data-computed-at");
  var url = status.getAttribute("data-status-url");
  var started = Date.now();
  function poll() {
    if (Date.now() - started > 30 * 60 * 1000) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var s = null;
      try { s = JSON.parse(xhr.responseText); } catch (e) { s = null; }
      if (s && s.computed_at && (s.computed_at !== rendered || s.fresh)) {
        window.location.reload();
        return;
      }
      window.setTimeout(poll, 3000);
    };
    xhr.onerror = function () { window.setTimeout(poll, 10000); };
    xhr.send();
  }
  window.setTimeout(poll, 2000);
})();
