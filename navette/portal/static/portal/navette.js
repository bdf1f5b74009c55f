/* Behaviour that the Content-Security-Policy keeps out of the pages (no inline handlers):
   - [data-autosubmit]: a select that submits its form when changed (a <noscript> button
     does the same without JavaScript);
   - [data-print]: a button that prints the page. */
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
