// The work log's day form: choosing another date before typing anything reloads the form with that
// day's figures, so a logged day is changed knowingly. Once figures are typed they are kept (the
// server then shows the day's record and asks for a second press), as it does without JavaScript.
// A file, not an inline script: the Content-Security-Policy (core/headers.py) runs none.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[data-reload-day]");
    if (!input) {
      return;
    }
    var typed = false;
    input.form.addEventListener("input", function (event) {
      if (event.target !== input) {
        typed = true;
      }
    });
    input.addEventListener("change", function () {
      if (!typed && /^\d{4}-\d{2}-\d{2}$/.test(input.value)) {
        window.location.search = "?day=" + encodeURIComponent(input.value);
      }
    });
  });
})();
