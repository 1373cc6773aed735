/* The upload page: the file goes by XMLHttpRequest so the page can show how much has been
   sent, then the server's steps are followed in place (the job's fragment, polled) until the
   item is made. A problem is shown beside its field; what was typed stays as it was.
   Without this script the form posts as usual and the job's page refreshes itself. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData || !window.fetch) return;
  var transfer = document.getElementById("transfer");
  var bar = document.getElementById("transfer-bar");
  var said = document.getElementById("transfer-said");
  var slot = document.getElementById("job-slot");
  var send = document.getElementById("upload-send");
  var POLL_MS = 700;

  function size(bytes, total) {
    // In MB as the page's limit is (MiB), or kB for a small file.
    var big = total >= 102400;
    var value = big ? bytes / 1048576 : bytes / 1024;
    return value.toLocaleString(document.documentElement.lang || "vi",
      { minimumFractionDigits: big ? 1 : 0, maximumFractionDigits: big ? 1 : 0 }) +
      (big ? " MB" : " kB");
  }

  function showSent(loaded, total) {
    var percent = total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
    bar.value = percent;
    said.textContent = said.dataset.template
      .replace("{p}", percent).replace("{s}", size(loaded, total)).replace("{t}", size(total, total));
  }

  function clearProblems() {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error.from-script"), function (p) {
      var field = p.closest(".field");
      if (field) field.classList.remove("has-error");
      p.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
    });
    var general = document.getElementById("form-error");
    if (general) general.remove();
  }

  function problem(name, message) {
    var input = form.elements[name];
    if (!input || !input.closest) input = form.elements.file;
    var field = input.closest(".field");
    var old = document.getElementById(input.id + "-error");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "field-error from-script";
    p.id = input.id + "-error";
    p.textContent = message;
    field.appendChild(p);
    field.classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ");
    if (described.indexOf(p.id) < 0) described.push(p.id);
    input.setAttribute("aria-describedby", described.join(" ").trim());
    var details = field.closest("details");
    if (details) details.open = true;
  }

  function busy(on) {
    send.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  function poll(url) {
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error(String(answer.status));
        return answer.text();
      })
      .then(function (html) {
        slot.innerHTML = html;
        var job = slot.firstElementChild;
        var state = job ? job.dataset.state : "";
        if (state === "done") {
          busy(false);
          send.hidden = true;
          var link = document.getElementById("job-item");
          if (link) link.focus();
        } else if (state === "failed") {
          busy(false);
          problem("file", job.dataset.message);
          form.elements.file.focus();
        } else {
          setTimeout(function () { poll(url); }, POLL_MS);
        }
      })
      .catch(function () { setTimeout(function () { poll(url); }, POLL_MS * 3); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearProblems();
    slot.innerHTML = "";
    var file = form.elements.file.files[0];
    if (!file) { problem("file", form.dataset.noFile); return; }
    if (file.size > Number(form.dataset.maxBytes)) { problem("file", form.dataset.tooBig); return; }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) showSent(e.loaded, e.total);
    });
    request.upload.addEventListener("load", function () { showSent(file.size, file.size); });
    request.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      if (request.status === 202 && answer && answer.url) {
        showSent(file.size, file.size);
        poll(answer.url);
        return;
      }
      busy(false);
      if (request.status === 413) { problem("file", form.dataset.tooBig); return; }
      var problems = (answer && answer.problems) || { file: form.dataset.refused };
      Object.keys(problems).forEach(function (name) {
        problem(name === "_" ? "file" : name, problems[name]);
      });
      var first = form.querySelector("[aria-invalid]");
      if (first) first.focus();
    });
    request.addEventListener("error", function () { busy(false); problem("file", form.dataset.lost); });
    busy(true);
    transfer.hidden = false;
    showSent(0, file.size);
    request.send(new FormData(form));
  });
})();
