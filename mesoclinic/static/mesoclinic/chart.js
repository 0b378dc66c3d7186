// Session charting: map tabs, a click places a point (x, y in the map's own units),
// choosing a zone in the list charts the zone's centre.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("chart-form");
    var tabs = document.querySelectorAll(".maptab");
    var maps = document.querySelectorAll("svg.chartmap");
    if (!maps.length) return;
    var mapInput = document.getElementById("id_chart_map");
    var xInput = document.getElementById("id_x"), yInput = document.getElementById("id_y");
    var zoneSelect = document.getElementById("id_zone");

    function show(code) {
      // Inline SVG has no "hidden" property: set the attribute, which the CSS hides.
      maps.forEach(function (svg) {
        if (svg.dataset.map === code) svg.removeAttribute("hidden");
        else svg.setAttribute("hidden", "");
      });
      tabs.forEach(function (tab) { tab.setAttribute("aria-selected", tab.dataset.map === code ? "true" : "false"); });
      if (mapInput) mapInput.value = code;
    }
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab.dataset.map); });
    });
    if (mapInput && mapInput.value) show(mapInput.value);
    if (!form) return;

    maps.forEach(function (svg) {
      svg.addEventListener("click", function (event) {
        var point = svg.createSVGPoint();
        point.x = event.clientX; point.y = event.clientY;
        var local = point.matrixTransform(svg.getScreenCTM().inverse());
        xInput.value = local.x.toFixed(2); yInput.value = local.y.toFixed(2);
        var zone = event.target.closest("[data-zone]");
        zoneSelect.value = zone ? zone.dataset.zone : "";
        var pending = svg.querySelector(".pending");
        pending.setAttribute("cx", local.x); pending.setAttribute("cy", local.y);
        document.getElementById("id_lot").focus();
      });
    });
    zoneSelect.addEventListener("change", function () {
      var option = zoneSelect.selectedOptions[0];
      if (option && option.dataset.map) {
        xInput.value = ""; yInput.value = "";
        show(option.dataset.map);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
