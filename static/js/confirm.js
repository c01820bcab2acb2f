// Asks before a step that cannot be undone: a button with data-confirm="…" submits its form only
// when the person confirms. Replaces inline onclick handlers, which the Content-Security-Policy
// (core/headers.py) does not run.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
