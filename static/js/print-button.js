/* A "Print" button for pages made to be printed. It is hidden until this script runs, so
   without script nobody sees a button that does nothing (the browser's Print still works). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
