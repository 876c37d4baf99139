// The time-zone picker: a search box over the select's options (common zones come first
// in the list), and on a first login the browser's own zone chosen when it is offered.
// Without JavaScript the select works as it is.
(function () {
  var field = document.querySelector("[data-tz-field]");
  var select = field && field.querySelector("select");
  if (!select) { return; }
  var box = field.querySelector("[data-tz-search]");
  var input = box.querySelector("input");
  var options = Array.prototype.slice.call(select.options);
  box.hidden = false;

  function normal(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[\s_/]+/g, " ");
  }

  input.addEventListener("input", function () {
    var words = normal(input.value).split(" ").filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var text = normal(option.value + " " + option.textContent);
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !match;
      if (match && !first) { first = option; }
    });
    if (first && words.length && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
      select.value = first.value;
    }
  });

  if (field.hasAttribute("data-preselect-browser") && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var found = options.some(function (option) { return option.value === zone; });
    if (zone && found) {
      select.value = zone;
      var note = field.querySelector("[data-tz-detected]");
      note.textContent = note.getAttribute("data-text").replace("{zone}", zone.replace(/_/g, " "));
      note.hidden = false;
    }
  }
})();
