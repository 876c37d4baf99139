/* The agent's ticket page: a canned reply is inserted into the message; logging more
   minutes than the organization's balance shows the overdraw warning. */
(function () {
  "use strict";
  var pick = document.getElementById("id_canned_reply");
  if (pick) {
    pick.addEventListener("change", function () {
      var tpl = document.getElementById("canned-" + pick.value);
      var body = document.getElementById("id_body");
      if (tpl && body) { body.value = (body.value ? body.value + "\n\n" : "") + tpl.content.textContent; }
    });
  }
  var warn = document.getElementById("overdraw-warning");
  var minutes = document.getElementById("id_minutes");
  if (warn && minutes) {
    var balance = parseInt(warn.getAttribute("data-balance"), 10);
    minutes.addEventListener("input", function () {
      warn.hidden = !(parseInt(minutes.value || "0", 10) > balance);
    });
  }
})();
