// The campaign's month picker (twelve checkboxes): buttons to tick every month, the first or
// second half-year, or none. Without JavaScript the checkboxes work alone. A file, not an inline
// script: the Content-Security-Policy (core/headers.py) runs none.
(function () {
  "use strict";
  var SETS = [
    ["全年", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
    ["上半年", [1, 2, 3, 4, 5, 6]],
    ["下半年", [7, 8, 9, 10, 11, 12]],
    ["清除", []],
  ];
  function tools(list) {
    var box = document.createElement("div");
    box.className = "month-picker-tools";
    SETS.forEach(function (entry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = entry[0];
      button.addEventListener("click", function () {
        list.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          box.checked = entry[1].indexOf(parseInt(box.value, 10)) !== -1;
        });
      });
      box.appendChild(button);
    });
    list.parentNode.insertBefore(box, list.nextSibling);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("div.month-picker").forEach(tools);
  });
})();
