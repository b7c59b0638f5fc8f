// kaohe — small progressive enhancements; pages work without them.
"use strict";
(function () {
  // Charts: <div class="chart" data-chart="{json ECharts option}"> (the option is built by the
  // server; echarts.min.js is vendored and loaded only by pages that draw charts).
  function drawCharts() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var option = JSON.parse(el.getAttribute("data-chart"));
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // Confirm buttons: <button data-confirm="text">
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-confirm]");
    if (t && !window.confirm(t.getAttribute("data-confirm"))) e.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", drawCharts);
})();
