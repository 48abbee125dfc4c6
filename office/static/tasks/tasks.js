/* 任务进展 (templates/tasks/progress.html): plain JavaScript, no library.
   Marking a task done sets its percentage to 100; the server checks everything again. */
(function () {
  "use strict";
  var done = document.getElementById("progress-done");
  var percent = document.getElementById("progress-percent");
  if (done && percent) {
    done.addEventListener("change", function () {
      if (done.checked) { percent.value = "100"; }
    });
  }
})();
