// Inside the embedded event list: tell the page that frames it how tall the list is, so
// embed.js there can size the iframe. Only a height is sent (nothing private), to any
// parent; the list works without this script.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function send() {
    // The body, not the document: the document is never shorter than the iframe, so it could
    // only grow.
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "eventreg-embed-height", height: height }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
  send();
})();
