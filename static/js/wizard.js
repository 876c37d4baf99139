// Submit wizard, step 1: search the departments and hide the unavailable ones (hidden by
// default on phones, with a count of what is hidden). Without JavaScript every department
// is shown, as the server renders them.
(function () {
  var tools = document.querySelector("[data-wizard-tools]");
  if (!tools) { return; }
  var search = tools.querySelector("[data-wizard-search]");
  var toggle = tools.querySelector("[data-show-unavailable]");
  var counter = tools.querySelector("[data-hidden-count]");
  var products = Array.prototype.slice.call(document.querySelectorAll("[data-product]"));
  var phone = window.matchMedia("(max-width: 760px)").matches;
  toggle.checked = !phone;
  tools.hidden = false;

  function normal(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function apply() {
    var words = normal(search.value).split(/\s+/).filter(Boolean);
    var hiddenUnavailable = 0, shown = 0;
    products.forEach(function (product) {
      var visible = 0;
      product.querySelectorAll("[data-department]").forEach(function (item) {
        var text = normal(item.getAttribute("data-search-text"));
        var matches = words.every(function (w) { return text.indexOf(w) !== -1; });
        var unavailable = item.classList.contains("unavailable");
        var hide = !matches || (unavailable && !toggle.checked);
        if (matches && unavailable && !toggle.checked) { hiddenUnavailable += 1; }
        item.hidden = hide;
        if (!hide) { visible += 1; }
      });
      product.hidden = visible === 0;
      if (words.length && visible) { product.open = true; }
      shown += visible;
    });
    var text = "";
    if (hiddenUnavailable === 1) { text = counter.getAttribute("data-one"); }
    if (hiddenUnavailable > 1) {
      text = counter.getAttribute("data-many").replace("{count}", hiddenUnavailable);
    }
    if (!shown && !hiddenUnavailable) { text = counter.getAttribute("data-none-found"); }
    counter.textContent = text;
  }

  search.addEventListener("input", apply);
  toggle.addEventListener("change", apply);
  apply();
})();
