/* Autocomplete for the search boxes: input[data-autocomplete="<suggestions URL>"].
   The ARIA 1.2 combobox pattern with a list popup (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/):
   the input keeps the focus, the listbox's active option is named by aria-activedescendant.
   Keys: Down/Up move through the suggestions (Down opens them), Enter picks the active one
   (or submits what was typed), Escape closes them (a second Escape empties the box), Tab
   leaves. A title opens its record; an author or a subject is searched.
   Without JavaScript the box is a plain search form: nothing here is needed to search.
   Data attributes: data-plain-query (search the label, not "auteur:..."), data-record-url (a
   record URL with 0 for its id, instead of the portal's). */
(function () {
  "use strict";
  var MIN_LETTERS = 3;
  var DELAY = 200;
  var counter = 0;

  function setUp(input) {
    var form = input.form;
    if (!form) {
      return;
    }
    counter += 1;
    var listbox = document.createElement("ul");
    listbox.id = (input.id || "search") + "-suggestions-" + counter;
    listbox.className = "suggestions";
    listbox.setAttribute("role", "listbox");
    var label = input.labels && input.labels[0] ? input.labels[0].textContent.trim() : "";
    if (label) {
      listbox.setAttribute("aria-label", label);
    }
    listbox.hidden = true;
    form.classList.add("has-suggestions");
    input.insertAdjacentElement("afterend", listbox);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastAsked = null;

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (items.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function highlight(index) {
      var options = listbox.children;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(found) {
      items = found;
      while (listbox.firstChild) {
        listbox.removeChild(listbox.firstChild);
      }
      found.forEach(function (suggestion, index) {
        var option = document.createElement("li");
        option.id = listbox.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "suggestion suggestion-" + suggestion.kind;
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = suggestion.kind_label + " : ";
        option.appendChild(kind);
        option.appendChild(document.createTextNode(suggestion.label));
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // the input keeps the focus
        });
        option.addEventListener("click", function () {
          choose(index);
        });
        listbox.appendChild(option);
      });
      active = -1;
      if (found.length && document.activeElement === input) {
        open();
      } else {
        close();
      }
    }

    function choose(index) {
      var suggestion = items[index];
      if (!suggestion) {
        return;
      }
      close();
      if (suggestion.record) {
        var template = input.getAttribute("data-record-url");
        var url = template ? template.replace(/\/0\/$/, "/" + suggestion.record + "/") : suggestion.url;
        input.value = suggestion.label;
        window.location.assign(url);
        return;
      }
      input.value = input.hasAttribute("data-plain-query") ? suggestion.label : suggestion.query;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }

    function ask() {
      var text = input.value.trim();
      if (text.replace(/[^\p{L}\p{N}]/gu, "").length < MIN_LETTERS) {
        lastAsked = null;
        render([]);
        return;
      }
      if (text === lastAsked) {
        open();
        return;
      }
      lastAsked = text;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      var url = input.getAttribute("data-autocomplete") + "?q=" + encodeURIComponent(text);
      fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value.trim() === text) {
            render(data.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted by a newer request, or offline: the plain form still works */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var count = items.length;
      if (event.key === "ArrowDown") {
        if (listbox.hidden) {
          open();
          if (!count) {
            ask();
          }
          if (event.altKey) {
            event.preventDefault();
            return;
          }
        }
        if (count) {
          highlight((active + 1) % count);
        }
        event.preventDefault();
      } else if (event.key === "ArrowUp") {
        if (count) {
          open();
          highlight(active <= 0 ? count - 1 : active - 1);
        }
        event.preventDefault();
      } else if (event.key === "Enter") {
        if (!listbox.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        } else {
          close();
        }
      } else if (event.key === "Escape") {
        if (!listbox.hidden) {
          close();
        } else {
          input.value = "";
          lastAsked = null;
          render([]);
        }
        event.preventDefault();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      close();
    });
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(setUp);
})();
