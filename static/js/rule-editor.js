// The rubric item's rule editor (assessment/admin_forms.py RubricItemForm): shows the fields of
// the rule chosen in each item's 计分规则 list and hides the other rules' blocks; inside a block,
// a field marked data-show-when="measure_kind:ratio" shows only while that choice is made.
// Without JavaScript every block stays visible and the server reads only the chosen rule's
// fields. A file, not an inline script: the Content-Security-Policy (core/headers.py) runs none.
(function () {
  "use strict";

  function item(element) {
    return element.closest(".inline-related") || document;
  }

  // What to hide with a field: its box with its help text on a line of several fields, else its line.
  function rowOf(element) {
    var box = element.closest(".fieldBox");
    return box ? box.parentElement : element.closest(".form-row");
  }

  function refresh(box) {
    var select = box.querySelector("select.rule-choice");
    if (!select) {
      return;
    }
    var rule = select.value;
    box.querySelectorAll("fieldset.rule-fields").forEach(function (fieldset) {
      fieldset.hidden = !fieldset.classList.contains("for-" + rule);
    });
    box.querySelectorAll("[data-show-when]").forEach(function (field) {
      var parts = field.getAttribute("data-show-when").split(":");
      var control = box.querySelector("select[name$='-" + parts[0] + "']");
      var row = rowOf(field);
      if (control && row) {
        row.hidden = parts[1].split(" ").indexOf(control.value) === -1;
      }
    });
    // A condition answered 是/否 has no "至少几个": its cell is blanked out, not removed (the table keeps its columns).
    box.querySelectorAll("table.rule-rows tbody tr").forEach(function (row) {
      var test = row.querySelector("td.col-test select");
      var least = row.querySelector("td.col-least input");
      if (test && least) {
        least.classList.toggle("rule-not-needed", test.value !== "count");
      }
    });
    // A line whose every field is hidden goes too, so no empty line is left.
    box.querySelectorAll("fieldset.rule-fields .form-multiline").forEach(function (line) {
      var shown = Array.prototype.some.call(line.children, function (child) {
        return !child.hidden;
      });
      line.closest(".form-row").hidden = !shown;
    });
  }

  function refreshAll() {
    document.querySelectorAll(".inline-related").forEach(function (box) {
      if (!box.classList.contains("empty-form")) {
        refresh(box);
      }
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select")) {
      refresh(item(target));
    }
  });
  // "添加另一个评分项目" copies the empty form; the copy shows its default rule's fields.
  document.addEventListener("formset:added", function (event) {
    refresh(event.target);
  });
  document.addEventListener("DOMContentLoaded", refreshAll);
})();
