// Signature pad for consent forms: draws with pointer events, submits a PNG data URL.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("consent-form");
    var canvas = document.getElementById("signature-pad");
    if (!form || !canvas) return;
    var field = document.getElementById("id_signature");
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false, last = null;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#1d2733";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: (event.clientX - box.left) * canvas.width / box.width,
               y: (event.clientY - box.top) * canvas.height / box.height };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; last = point(event); canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    document.getElementById("signature-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
    });
    function showMethod() {
      var drawnMethod = document.getElementById("m_drawn").checked;
      form.classList.toggle("method-drawn", drawnMethod);
      form.classList.toggle("method-typed", !drawnMethod);
    }
    document.getElementById("m_drawn").addEventListener("change", showMethod);
    document.getElementById("m_typed").addEventListener("change", showMethod);
    showMethod();
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
