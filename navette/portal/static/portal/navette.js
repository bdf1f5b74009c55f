/* Behaviour that the Content-Security-Policy keeps out of the pages (no inline handlers):
   - [data-autosubmit]: a select that submits its form when changed (a <noscript> button
     does the same without JavaScript);
   - [data-print]: a button that prints the page;
   - .menu-button: on a phone, the main menu folds behind it (without JavaScript the menu
     simply stays open). */
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
