// Photo comparison: mark the region to measure on the first photo, and the before/after
// slider once the comparison is done (the result is swapped in by htmx).
(function () {
  "use strict";
  function regionMarking() {
    var form = document.getElementById("compare-form");
    if (!form) return;
    var select = document.getElementById("id_before");
    var image = document.getElementById("region-image");
    var rect = document.getElementById("region-rect");
    var text = document.getElementById("region-text");
    var start = null;
    function load() {
      var option = select.selectedOptions[0];
      image.src = option.dataset.src;
      image.dataset.width = option.dataset.width;
      image.dataset.height = option.dataset.height;
      rect.hidden = true;
      ["x", "y", "w", "h"].forEach(function (k) { document.getElementById("id_" + k).value = ""; });
    }
    function toPixels(event) {
      var box = image.getBoundingClientRect();
      var scale = image.dataset.width / box.width;
      return { x: Math.max(0, (event.clientX - box.left) * scale),
               y: Math.max(0, (event.clientY - box.top) * scale), scale: scale, box: box };
    }
    image.addEventListener("pointerdown", function (event) {
      start = toPixels(event); event.preventDefault();
      image.setPointerCapture(event.pointerId);
    });
    image.addEventListener("pointermove", function (event) {
      if (!start) return;
      var now = toPixels(event);
      var x = Math.min(start.x, now.x), y = Math.min(start.y, now.y);
      var w = Math.abs(now.x - start.x), h = Math.abs(now.y - start.y);
      rect.hidden = false;
      rect.style.left = (x / now.scale) + "px"; rect.style.top = (y / now.scale) + "px";
      rect.style.width = (w / now.scale) + "px"; rect.style.height = (h / now.scale) + "px";
      document.getElementById("id_x").value = Math.round(x);
      document.getElementById("id_y").value = Math.round(y);
      document.getElementById("id_w").value = Math.round(w);
      document.getElementById("id_h").value = Math.round(h);
      text.textContent = Math.round(w) + " × " + Math.round(h) + " px";
    });
    image.addEventListener("pointerup", function () { start = null; });
    select.addEventListener("change", load);
    load();
  }
  function slider() {
    var range = document.getElementById("slider-range");
    var top = document.getElementById("slider-top");
    if (!range || !top || range.dataset.ready) return;
    range.dataset.ready = "1";
    // The aligned "after" photo lies on top; the slider uncovers the "before" one.
    function apply() { top.style.clipPath = "inset(0 " + (100 - range.value) + "% 0 0)"; }
    range.addEventListener("input", apply);
    apply();
    var mark = document.querySelector(".region-mark");
    if (mark) {
      var w = +mark.dataset.width, h = +mark.dataset.height;
      mark.style.left = (100 * mark.dataset.x / w) + "%";
      mark.style.top = (100 * mark.dataset.y / h) + "%";
      mark.style.width = (100 * mark.dataset.w / w) + "%";
      mark.style.height = (100 * mark.dataset.h / h) + "%";
    }
  }
  function init() { regionMarking(); slider(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSwap", slider);
})();
