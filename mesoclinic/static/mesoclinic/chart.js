// Session charting: map tabs; a click on a map places a point (x, y in the map's own
// units); a click on a photo places it in % of the photo, and the zone is then chosen in
// the list; choosing a zone without a click charts the zone's centre.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("chart-form");
    var tabs = document.querySelectorAll(".maptab");
    var figures = document.querySelectorAll("figure.chartfigure");
    var maps = document.querySelectorAll("svg.chartmap");
    if (!maps.length) return;
    var mapInput = document.getElementById("id_chart_map");
    var xInput = document.getElementById("id_x"), yInput = document.getElementById("id_y");
    var photoInput = document.getElementById("id_photo");
    var photoX = document.getElementById("id_photo_x"), photoY = document.getElementById("id_photo_y");
    var zoneSelect = document.getElementById("id_zone");
    var onPhoto = false;

    function clear(inputs) { inputs.forEach(function (input) { if (input) input.value = ""; }); }

    function show(code) {
      // Inline SVG has no "hidden" property: set the attribute, which the CSS hides.
      figures.forEach(function (figure) {
        if (figure.dataset.map === code) figure.removeAttribute("hidden");
        else figure.setAttribute("hidden", "");
      });
      tabs.forEach(function (tab) { tab.setAttribute("aria-selected", tab.dataset.map === code ? "true" : "false"); });
      onPhoto = code.indexOf("photo-") === 0;
      if (zoneSelect) zoneSelect.required = onPhoto;
      if (!onPhoto && mapInput) mapInput.value = code;
    }
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab.dataset.map); });
    });
    if (photoInput && photoInput.value) show("photo-" + photoInput.value);
    else if (mapInput && mapInput.value) show(mapInput.value);
    if (!form) return;

    maps.forEach(function (svg) {
      svg.addEventListener("click", function (event) {
        var point = svg.createSVGPoint();
        point.x = event.clientX; point.y = event.clientY;
        var local = point.matrixTransform(svg.getScreenCTM().inverse());
        var pending = svg.querySelector(".pending");
        pending.setAttribute("cx", local.x); pending.setAttribute("cy", local.y);
        if (svg.dataset.photo) {
          var box = svg.viewBox.baseVal;
          photoInput.value = svg.dataset.photo;
          photoX.value = (100 * local.x / box.width).toFixed(2);
          photoY.value = (100 * local.y / box.height).toFixed(2);
          clear([xInput, yInput]);
          zoneSelect.focus();
          return;
        }
        clear([photoInput, photoX, photoY]);
        xInput.value = local.x.toFixed(2); yInput.value = local.y.toFixed(2);
        var zone = event.target.closest("[data-zone]");
        zoneSelect.value = zone ? zone.dataset.zone : "";
        document.getElementById("id_lot").focus();
      });
    });
    zoneSelect.addEventListener("change", function () {
      var option = zoneSelect.selectedOptions[0];
      if (!option || !option.dataset.map) return;
      if (onPhoto) {
        // The point stays where it was clicked on the photo; the zone names its map.
        mapInput.value = option.dataset.map;
        return;
      }
      clear([xInput, yInput, photoInput, photoX, photoY]);
      show(option.dataset.map);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
