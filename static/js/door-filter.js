/* The check-in list filtered as you type. Without this script the search form does the
   same on the server when submitted: a name (every word of it) or a check-in code. */
(function () {
  "use strict";
  var input = document.querySelector("[data-door-search]");
  var list = document.getElementById("door-list");
  if (!input || !list || list.tagName !== "UL") {
    return;
  }
  var status = document.getElementById("door-filter-status");
  var people = Array.prototype.slice.call(list.querySelectorAll("li[data-name]"));

  function code(text) {
    return text.replace(/[\s-]+/g, "").toUpperCase();
  }

  function filter() {
    var query = input.value.trim();
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = code(query);
    var byCode = people.filter(function (li) { return li.getAttribute("data-code") === wanted; });
    var shown = 0;
    people.forEach(function (li) {
      var name = li.getAttribute("data-name");
      var match = !query || (byCode.length ? byCode.indexOf(li) !== -1
        : words.every(function (word) { return name.indexOf(word) !== -1; }));
      li.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    if (status) {
      status.textContent = query ? status.getAttribute("data-template").replace("#", shown) : "";
    }
  }

  input.addEventListener("input", filter);
  filter();
})();
