// schemes/editor.js — live validation of a scheme's YAML while it is typed.
//
// The page holds <div data-editor data-validate-url=… data-code=…> around the textarea, a
// gutter (<pre data-gutter>), a status line and the problem list (<ol data-problems>). After
// ~400 ms without typing, the text is POSTed (with the form's CSRF token) to schemes:validate,
// which answers {ok, problems: [{line, path, message}]}; each problem is listed as
// "第 N 行: message" and its line is marked in the gutter. The server checks again on save, so
// the page works (less conveniently) without this script.
"use strict";
(function () {
  var DELAY = 400;

  function fmt(template, value) { return template.replace("%s", String(value)); }

  function setup(root) {
    var textarea = root.querySelector("textarea");
    var gutter = root.querySelector("[data-gutter]");
    var status = root.querySelector("[data-status]");
    var list = root.querySelector("[data-problems]");
    var form = textarea.form;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var codeInput = form.querySelector("input[name=code]");
    var timer = null;
    var seq = 0; // only the answer to the latest request is shown
    var badLines = {};

    // The problems the server rendered (after a refused save) mark the gutter too.
    list.querySelectorAll("li[data-line]").forEach(function (li) {
      badLines[li.getAttribute("data-line")] = true;
    });

    function drawGutter() {
      var count = textarea.value.split("\n").length;
      var frag = document.createDocumentFragment();
      for (var n = 1; n <= count; n++) {
        if (badLines[n]) {
          var mark = document.createElement("span");
          mark.className = "bad";
          mark.textContent = String(n);
          frag.appendChild(mark);
        } else {
          frag.appendChild(document.createTextNode(String(n)));
        }
        frag.appendChild(document.createTextNode("\n"));
      }
      gutter.textContent = "";
      gutter.appendChild(frag);
      gutter.scrollTop = textarea.scrollTop;
    }

    function goToLine(line) {
      var lines = textarea.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      var end = start + (lines[line - 1] || "").length;
      textarea.focus();
      textarea.setSelectionRange(start, end);
      var height = parseFloat(getComputedStyle(textarea).lineHeight) || 19;
      textarea.scrollTop = Math.max(0, (line - 3) * height);
      gutter.scrollTop = textarea.scrollTop;
    }

    function show(problems) {
      badLines = {};
      list.textContent = "";
      problems.forEach(function (p) {
        var li = document.createElement("li");
        li.className = "bad";
        if (p.line) {
          badLines[p.line] = true;
          li.setAttribute("data-line", String(p.line));
          var at = document.createElement("span");
          at.className = "at";
          at.textContent = fmt(root.getAttribute("data-msg-line"), p.line) + ": ";
          li.appendChild(at);
        }
        li.appendChild(document.createTextNode(p.message));
        if (p.path) {
          var path = document.createElement("span");
          path.className = "muted";
          path.textContent = " (" + p.path + ")";
          li.appendChild(path);
        }
        list.appendChild(li);
      });
      status.className = "status " + (problems.length ? "bad" : "ok");
      status.textContent = problems.length
        ? fmt(root.getAttribute("data-msg-problems"), problems.length)
        : root.getAttribute("data-msg-ok");
      drawGutter();
    }

    function check() {
      var mine = ++seq;
      var body = new FormData();
      body.append("text", textarea.value);
      body.append("code", codeInput ? codeInput.value : (root.getAttribute("data-code") || ""));
      status.className = "status muted";
      status.textContent = root.getAttribute("data-msg-checking");
      fetch(root.getAttribute("data-validate-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest" }
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (data) {
        if (mine === seq) show(data.problems || []);
      }).catch(function () {
        if (mine !== seq) return;
        status.className = "status muted";
        status.textContent = root.getAttribute("data-msg-failed");
      });
    }

    function schedule() {
      drawGutter();
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(check, DELAY);
    }

    textarea.addEventListener("input", schedule);
    if (codeInput) codeInput.addEventListener("input", schedule);
    textarea.addEventListener("scroll", function () { gutter.scrollTop = textarea.scrollTop; });
    // Tab indents by two spaces (YAML forbids tabs); after Escape, Tab leaves the field as usual
    // so that keyboard users are not trapped.
    var escaped = false;
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key !== "Tab" || escaped || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey) {
        escaped = false;
        return;
      }
      e.preventDefault();
      var s = textarea.selectionStart;
      textarea.setRangeText("  ", s, textarea.selectionEnd, "end");
      schedule();
    });
    list.addEventListener("click", function (e) {
      var li = e.target.closest("li[data-line]");
      if (li) goToLine(parseInt(li.getAttribute("data-line"), 10));
    });
    drawGutter();
    if (textarea.value.trim()) check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-editor]").forEach(setup);
  });
})();
