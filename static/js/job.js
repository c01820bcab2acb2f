// A job's page (admin 后台任务, portal 任务): follows the job every two seconds while it runs and
// reloads once it ends, to show the file or the retry button. Everything it needs is in the page's
// data- attributes (#job: data-status-url, data-active), so the page carries no inline script
// (Content-Security-Policy: script-src 'self', core/headers.py).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("job-bar");
  var progress = box.querySelector(".job-progress");
  function show(percent) {
    // A style property set from script is allowed by the policy; a style attribute in HTML is not.
    if (bar) bar.style.width = percent + "%";
    if (progress) progress.setAttribute("aria-valuenow", percent);
  }
  show(progress ? Number(progress.getAttribute("aria-valuenow")) || 0 : 0);
  if (box.dataset.active !== "1") return;
  var url = box.dataset.statusUrl;
  function set(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 5000); return; }
        if (!s.active) { window.location.reload(); return; }
        set("job-status", s.status_label);
        var percent = s.percent || 0;
        show(percent);
        if (s.total) set("job-count", "已完成 " + s.done + " / " + s.total + "（" + percent + "%）");
        set("job-step", s.step || "");
        var queued = document.getElementById("job-queued");
        if (queued && s.status !== "queued") queued.hidden = true;
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
