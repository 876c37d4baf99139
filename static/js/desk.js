/* The agent desk's keyboard and small helpers (no inline script: CSP script-src 'self').
   j/k move in the list, Enter opens, r reply, n note, t log time, a assign to me,
   e resolve, m move, u unassigned, q quarantine, / search, ? the list of shortcuts; Ctrl+Enter sends the form being
   typed in, Esc leaves a field. */
(function () {
  "use strict";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".desk-row-link")); }

  function current() {
    var links = rows();
    var i = links.indexOf(document.activeElement);
    if (i >= 0) { return i; }
    var marked = document.querySelector(".desk-row.is-current .desk-row-link");
    return marked ? links.indexOf(marked) : -1;
  }

  function move(step) {
    var links = rows();
    if (!links.length) { return; }
    var i = Math.min(Math.max(current() + step, 0), links.length - 1);
    document.querySelectorAll(".desk-row.is-current").forEach(function (row) { row.classList.remove("is-current"); });
    links[i].parentElement.classList.add("is-current");
    links[i].focus();
  }

  function focusField(selector) {
    var field = document.querySelector(selector);
    if (field) { field.focus(); if (field.scrollIntoView) { field.scrollIntoView({block: "center"}); } }
    return field;
  }

  function writeAs(kind) {
    var radio = document.querySelector("#desk-reply input[name=kind][value=" + kind + "]");
    if (radio) { radio.checked = true; }
    focusField("#desk-reply textarea[name=body]");
  }

  function go(view) {
    var link = document.querySelector('#desk-counts a[data-view="' + view + '"]');
    if (link) { window.location.assign(link.href); }
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  var keys = {
    "j": function () { move(1); },
    "k": function () { move(-1); },
    "r": function () {
      if (document.getElementById("desk-reply")) { writeAs("reply"); }
      else { focusField("#quarantine-attach input[name=ticket_number]"); }
    },
    "n": function () { writeAs("note"); },
    "t": function () { focusField("#desk-time input[name=minutes]"); },
    "a": function () { submit("desk-claim"); },
    "e": function () { submit("desk-resolve"); },
    "m": function () { focusField("#desk-update select[name=department]"); },
    "/": function () { focusField("#desk-search"); },
    "u": function () { go("unassigned"); },
    "q": function () { go("quarantine"); },
    "?": function () { var help = document.getElementById("desk-help"); if (help && !help.open) { help.showModal(); } }
  };

  function typingIn(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
      event.preventDefault();
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
      return;
    }
    if (event.key === "Escape" && typingIn(target)) { target.blur(); return; }
    if (typingIn(target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    var action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  /* A macro or a canned reply fills the message (a canned reply is added to what is typed). */
  document.addEventListener("change", function (event) {
    var target = event.target;
    var body = document.querySelector("#desk-reply textarea[name=body]");
    if (!body) { return; }
    if (target.name === "macro" && target.value) {
      var macro = document.getElementById("macro-" + target.value);
      if (macro) { body.value = macro.content.textContent; }
    } else if (target.id === "desk-canned" && target.value) {
      var canned = document.getElementById("canned-" + target.value);
      if (canned) { body.value = body.value ? body.value + "\n\n" + canned.content.textContent : canned.content.textContent; }
    }
  });

  /* "Typing" is told to the other agents (the collision notice) while keys are pressed. */
  var idle = null;
  document.addEventListener("input", function (event) {
    if (!event.target.closest || !event.target.closest("#desk-reply")) { return; }
    var flag = document.getElementById("desk-typing");
    if (!flag) { return; }
    flag.value = "1";
    clearTimeout(idle);
    idle = setTimeout(function () { flag.value = "0"; }, 8000);
  });

  /* After htmx swaps a ticket in (or the rows beside a ticket's page), mark its row. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || (target.id !== "desk-ticket" && target.id !== "desk-queue-rows")) { return; }
    var pane = document.querySelector("#desk-ticket .desk-pane");
    if (!pane) { return; }
    document.querySelectorAll(".desk-row").forEach(function (row) {
      row.classList.toggle("is-current", row.getAttribute("data-ticket") === pane.getAttribute("data-ticket"));
    });
  });
})();
