// For the page that embeds eventreg's event list, one line:
//   <script src="https://…/static/js/embed.js" defer></script>
// Sizes every iframe showing the list to the height the list reports (embed-frame.js). It
// believes only messages from this script's own origin and from the iframe they name.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src).origin : null;
  window.addEventListener("message", function (event) {
    if (!origin || event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "eventreg-embed-height") return;
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0 || height > 20000) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(height) + "px";
      }
    }
  });
})();
