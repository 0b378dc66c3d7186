// The calendar's time grid: drag an appointment to another time (or practitioner) to move
// it. The drop becomes the appointment page's own move form, so the same rules decide and
// a refusal comes back with its reason.
(function () {
  "use strict";
  function init() {
    var grid = document.querySelector(".timegrid");
    var form = document.getElementById("calendar-move");
    if (!grid || !form) return;
    var firstHour = parseInt(grid.dataset.firstHour, 10);
    var hours = parseInt(grid.dataset.hours, 10);
    var dragged = null;
    grid.querySelectorAll(".tg-appt[data-move]").forEach(function (block) {
      block.addEventListener("dragstart", function (event) {
        dragged = block;
        event.dataTransfer.setData("text/plain", block.dataset.move);
        event.dataTransfer.effectAllowed = "move";
      });
    });
    grid.querySelectorAll(".tg-col").forEach(function (column) {
      column.addEventListener("dragover", function (event) { event.preventDefault(); });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        if (!dragged) return;
        var box = column.getBoundingClientRect();
        var minutes = firstHour * 60 + (event.clientY - box.top) / box.height * hours * 60;
        minutes = Math.max(0, Math.round(minutes / 15) * 15);
        var hh = String(Math.floor(minutes / 60)).padStart(2, "0");
        var mm = String(minutes % 60).padStart(2, "0");
        form.action = dragged.dataset.move;
        form.elements.start.value = column.dataset.day + "T" + hh + ":" + mm;
        form.elements.practitioner.value = column.dataset.practitioner || "";
        form.submit();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
