/* The print page of the signboards (templates/signboards/print.html). */
(function () {
  "use strict";
  var button = document.getElementById("sb-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
