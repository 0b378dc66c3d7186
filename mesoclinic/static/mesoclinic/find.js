// The public search: place suggestions from the offline gazetteer, and "use my location".
(function () {
  "use strict";
  function init() {
    var place = document.getElementById("f_place");
    var list = document.getElementById("place-list");
    var button = document.getElementById("use-location");
    if (place && list) {
      var timer = null;
      place.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          fetch("/find/places.json?q=" + encodeURIComponent(place.value))
            .then(function (r) { return r.json(); })
            .then(function (data) {
              list.innerHTML = "";
              data.places.forEach(function (name) {
                var option = document.createElement("option");
                option.value = name; list.appendChild(option);
              });
            });
        }, 200);
      });
    }
    if (button && navigator.geolocation) {
      button.addEventListener("click", function () {
        var message = document.getElementById("location-error");
        navigator.geolocation.getCurrentPosition(function (position) {
          document.getElementById("f_lat").value = position.coords.latitude.toFixed(5);
          document.getElementById("f_lon").value = position.coords.longitude.toFixed(5);
          document.getElementById("find-form").submit();
        }, function (error) {
          // Refused or failed: say so, and where to type instead.
          if (message) {
            message.textContent = error.code === 1 ? message.dataset.refused : message.dataset.failed;
            message.hidden = false;
          }
          if (place) place.focus();
        }, {timeout: 10000});
      });
    } else if (button) {
      button.hidden = true;
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
