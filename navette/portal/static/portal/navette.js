/* Behaviour that the Content-Security-Policy keeps out of the pages (no inline handlers):
   - [data-autosubmit]: a select that submits its form when changed (a <noscript> button
     does the same without JavaScript);
   - [data-print]: a button that prints the page;
   - .menu-button: on a phone, the main menu folds behind it (without JavaScript the menu
     simply stays open);
   - body[data-alert-sound="on"] (a librarian's preference): a short low double beep, made
     with the Web Audio API (no sound file), when the page shows a refusal (.alert-error). */
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    window.print();
  }
});
(function () {
  var button = document.querySelector(".menu-button");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu || !window.matchMedia) {
    return;
  }
  var phone = window.matchMedia("(max-width: 40rem)");
  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.hidden = !open;
  }
  function fit() {
    button.hidden = !phone.matches;
    show(!phone.matches);
  }
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  phone.addEventListener ? phone.addEventListener("change", fit) : phone.addListener(fit);
  fit();
})();
(function () {
  if (document.body.getAttribute("data-alert-sound") !== "on" || !document.querySelector(".alert-error")) {
    return;
  }
  var Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) {
    return;
  }
  var audio = new Context();
  var start = audio.currentTime + 0.02;
  [0, 0.22].forEach(function (offset) {
    var tone = audio.createOscillator();
    var volume = audio.createGain();
    tone.type = "square";
    tone.frequency.value = 330;
    volume.gain.setValueAtTime(0.0001, start + offset);
    volume.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
    tone.connect(volume).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.18);
  });
  if (audio.state === "suspended" && audio.resume) {
    audio.resume();
  }
  // what was played, for the librarian's browser tools and the tests
  document.body.setAttribute("data-alert-sounded", String(audio.state));
})();
