// "Add File": one more file input per click. Without JavaScript the single input
// accepts several files (multiple), so the form works either way.
document.querySelectorAll("[data-files]").forEach(function (box) {
  var list = box.querySelector("[data-file-list]");
  var button = box.querySelector("[data-add-file]");
  var first = list.querySelector("input[type=file]");
  if (!button || !first) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var row = document.createElement("div");
    row.className = "file-row";
    var input = document.createElement("input");
    input.type = "file";
    input.name = first.name;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-danger";
    remove.textContent = button.getAttribute("data-remove-label") || "×";
    remove.setAttribute("aria-label", remove.textContent);
    remove.addEventListener("click", function () { row.remove(); });
    row.appendChild(input);
    row.appendChild(remove);
    list.appendChild(row);
    input.focus();
  });
});
// Disable the submit button once the form is sent (the submission key also makes a
// second post harmless).
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  });
});
