// Every customer page: marks that scripts run (the CSS then folds the menu on phones)
// and wires the menu button. Loaded in <head> without defer so the phone header never
// flashes open; the rest waits for the document.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // Ticket page on a phone: the conversation first, the details folded.
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll("[data-details-panel]").forEach(function (panel) {
      panel.open = false;
    });
  }
  var button = document.querySelector("[data-menu-toggle]");
  var nav = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) { return; }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      nav.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
});
