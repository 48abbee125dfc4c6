/* 任务进展 (templates/tasks/progress.html): plain JavaScript, no library.
   Marking a task done sets its percentage to 100. A done task stays done; reopening it is its
   own checkbox, confirmed here (the percentage may then be changed). The server checks
   everything again. */
(function () {
  "use strict";
  var done = document.getElementById("progress-done");
  var percent = document.getElementById("progress-percent");
  var reopen = document.getElementById("progress-reopen");
  if (done && percent && !done.disabled) {
    done.addEventListener("change", function () {
      if (done.checked) { percent.value = "100"; }
    });
  }
  if (percent && reopen) {
    percent.readOnly = !reopen.checked;
  }
  if (reopen) {
    reopen.addEventListener("change", function () {
      if (reopen.checked && !window.confirm(reopen.getAttribute("data-confirm"))) {
        reopen.checked = false;
      }
      if (done) { done.checked = !reopen.checked; }
      if (percent) { percent.readOnly = !reopen.checked; }
    });
  }
})();
