// Flags a score-sheet value out of its range while it is typed (9 in an 8-point item, 120 in a
// percentage, 2.5 people): the input's data-min, data-max, data-whole and data-range come from the
// policy (assessment/forms.py). Only a hint: the server checks every value again on each save.
(function () {
  "use strict";
  var NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

  function problem(input) {
    var text = input.value.trim();
    if (text === "") return "";
    var label = input.labels && input.labels[0] ? input.labels[0].textContent.replace(/[:：]\s*$/, "") : "";
    var says = "“" + label + "”填写的 " + text + "，";
    if (!NUMBER.test(text)) return says + "应为数字";
    var value = parseFloat(text);
    var min = input.getAttribute("data-min");
    var max = input.getAttribute("data-max");
    var outside = (min !== null && value < parseFloat(min)) || (max !== null && value > parseFloat(max));
    var broken = input.getAttribute("data-whole") === "true" && text.indexOf(".") !== -1 && !/\.0+$/.test(text);
    return outside || broken ? says + input.getAttribute("data-range") : "";
  }

  function check(input) {
    var box = input.closest(".field");
    var note = box ? box.querySelector(".live-warning") : null;
    if (!note) return;
    var message = problem(input);
    // The server's note was about the saved value; once it is edited, this one speaks.
    box.querySelectorAll(".warning:not(.live-warning)").forEach(function (old) { old.hidden = true; });
    box.classList.remove("has-warning");
    note.textContent = message;
    note.hidden = message === "";
    box.classList.toggle("has-live-warning", message !== "");
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-range]")) check(event.target);
  });
})();
