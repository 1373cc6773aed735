// "Listen" on the typed-bulletin page: the server reads the text with the chosen voice
// and sends back the audio as it will sound on the air; nothing is stored.
(function () {
  "use strict";
  var box = document.querySelector(".listen");
  if (!box || !window.fetch || !window.URL) return;
  box.hidden = false;
  var form = document.getElementById("tts-form");
  var button = document.getElementById("listen-button");
  var status = document.getElementById("listen-status");
  var audio = document.getElementById("listen-audio");
  var field = function (name) { return form.elements.namedItem(name); };
  button.addEventListener("click", function () {
    var data = new FormData();
    data.set("text", field("text").value);
    data.set("voice", field("voice").value);
    button.disabled = true;
    status.classList.remove("field-error");
    status.textContent = status.dataset.working;
    fetch(box.dataset.listenUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": field("csrf_token").value },
    }).then(function (answer) {
      if (!answer.ok) {
        return answer.text().then(function (message) {
          status.classList.add("field-error");
          status.textContent = message;
        });
      }
      return answer.blob().then(function (blob) {
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.src = URL.createObjectURL(blob);
        audio.hidden = false;
        status.textContent = "";
        audio.play().catch(function () {});
      });
    }).catch(function () {
      status.classList.add("field-error");
      status.textContent = status.dataset.failed;
    }).finally(function () {
      button.disabled = false;
    });
  });
})();
