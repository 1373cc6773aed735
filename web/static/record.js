// Recording from the microphone (MediaRecorder). The recording is put into the form's file
// field, so saving is the same plain form post as choosing a file. Browsers allow the
// microphone only on https:// or localhost: the page says so when it is unavailable.
(function () {
  "use strict";
  var unavailable = document.getElementById("recorder-unavailable");
  var box = document.getElementById("recorder");
  var media = navigator.mediaDevices;
  if (!window.isSecureContext || !media || !media.getUserMedia || !window.MediaRecorder ||
      !window.DataTransfer) {
    unavailable.hidden = false;
    return;
  }
  box.hidden = false;
  var start = document.getElementById("record-start");
  var stop = document.getElementById("record-stop");
  var status = document.getElementById("record-status");
  var audio = document.getElementById("record-audio");
  var input = document.getElementById("file");
  var recorder = null, timer = null, began = 0;
  var seconds = function () { return Math.round((Date.now() - began) / 1000); };
  var say = function (template) { status.textContent = template.replace("{s}", seconds()); };

  start.addEventListener("click", function () {
    media.getUserMedia({ audio: true }).then(function (stream) {
      var chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (event) { chunks.push(event.data); });
      recorder.addEventListener("stop", function () {
        clearInterval(timer);
        stream.getTracks().forEach(function (track) { track.stop(); });
        var type = recorder.mimeType || "audio/webm";
        var blob = new Blob(chunks, { type: type });
        var file = new File([blob], "recording." + (type.indexOf("ogg") >= 0 ? "ogg" : "webm"),
                            { type: type });
        var files = new DataTransfer();
        files.items.add(file);
        input.files = files.files;
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.src = URL.createObjectURL(blob);
        audio.hidden = false;
        say(status.dataset.done);
        start.disabled = false;
        stop.disabled = true;
        start.focus();
      });
      began = Date.now();
      recorder.start();
      start.disabled = true;
      stop.disabled = false;
      stop.focus();
      say(status.dataset.recording);
      timer = setInterval(function () { say(status.dataset.recording); }, 1000);
    }).catch(function () {
      unavailable.hidden = false;
    });
  });
  stop.addEventListener("click", function () {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  });
})();
