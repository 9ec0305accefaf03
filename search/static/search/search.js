/* Search page enhancements; the page works fully without them.
 * 1. Filters apply as soon as a checkbox or the sort order changes (the panel holding the control
 *    that changed opens again after the reload).
 * 2. The search box suggests case titles, cities and measure types as you type
 *    (ARIA 1.2 combobox with a listbox popup: arrow keys, Enter, Escape, Home/End).
 * 3. Long facet lists get a box that narrows them as you type.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-search-form]");
  if (!form) {
    return;
  }

  // 1. Apply filters on change; after the reload, focus returns to the control that changed.
  var FOCUS_KEY = "cac-search-focus";
  form.addEventListener("change", function (event) {
    var control = event.target;
    if (control.matches("[data-autosubmit]")) {
      try {
        window.sessionStorage.setItem(FOCUS_KEY, control.name + "\n" + control.value);
      } catch (error) {
        /* storage disabled: focus simply starts at the top */
      }
      form.submit();
    }
  });
  try {
    var remembered = window.sessionStorage.getItem(FOCUS_KEY);
    window.sessionStorage.removeItem(FOCUS_KEY);
    if (remembered) {
      var parts = remembered.split("\n");
      var controls = form.querySelectorAll("[data-autosubmit]");
      for (var c = 0; c < controls.length; c++) {
        if (controls[c].name === parts[0] && (controls[c].tagName === "SELECT" || controls[c].value === parts[1])) {
          // The control may sit in the closed filters panel (phones) or a closed "Show all" list.
          for (var holder = controls[c].closest("details"); holder; holder = holder.parentElement.closest("details")) {
            holder.open = true;
          }
          controls[c].focus();
          break;
        }
      }
    }
  } catch (error) {
    /* storage disabled */
  }
  // Wide screens show the filters as a sidebar (search.css); a browser without ::details-content
  // gets the panel opened here instead.
  var panel = form.querySelector("[data-filters-panel]");
  if (panel && window.matchMedia && window.matchMedia("(min-width: 801px)").matches) {
    var styled = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
    if (!styled) {
      panel.open = true;
    }
  }
  var apply = form.querySelector("[data-apply]");
  if (apply) {
    apply.classList.add("facets__apply--js");
  }

  // 3. Long facets (countries, measure types…): a box that narrows the list as you type, across
  //    the first values and those behind "Show all" (opened while a filter is typed). Names are
  //    compared without case or accents ("sao" finds "São Tomé"), and values too ("bike" finds
  //    임시 자전거도로, whose value is pop-up-bike-lanes).
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  var boxes = form.querySelectorAll("[data-facet-filter]");
  for (var b = 0; b < boxes.length; b++) {
    (function (box) {
      var facet = box.closest("fieldset");
      var field = box.querySelector("input");
      var none = box.querySelector("[data-facet-none]");
      var more = facet.querySelector(".facet__more");
      var wasOpen = more ? more.open : false;
      var options = facet.querySelectorAll("li");
      var labels = [];
      for (var o = 0; o < options.length; o++) {
        // The shown name and the value (a country code, a measure type's English slug).
        var label = options[o].querySelector(".facet__label");
        var input = options[o].querySelector("input");
        labels.push(
          fold((label ? label.textContent : options[o].textContent) + " " + (input ? input.value.replace(/-/g, " ") : ""))
        );
      }
      box.hidden = false;
      field.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault(); // the box filters the list; it does not submit the search
        }
      });
      field.addEventListener("input", function () {
        var wanted = fold(field.value);
        var shown = 0;
        for (var i = 0; i < options.length; i++) {
          var match = !wanted || labels[i].indexOf(wanted) !== -1;
          options[i].hidden = !match;
          shown += match ? 1 : 0;
        }
        none.hidden = shown > 0;
        if (more) {
          more.open = wanted ? true : wasOpen;
        }
      });
    })(boxes[b]);
  }

  // 2. Suggestions.
  var input = form.querySelector('input[role="combobox"]');
  if (!input || !window.fetch) {
    return;
  }
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var status = form.querySelector("[data-suggest-status]");
  var url = input.getAttribute("data-suggest-url");
  var items = [];
  var active = -1;
  var timer = null;
  var controller = null;
  var requested = "";

  function announce(count) {
    if (!status) {
      return;
    }
    if (!count) {
      status.textContent = "";
    } else if (count === 1) {
      status.textContent = status.getAttribute("data-one");
    } else {
      status.textContent = status.getAttribute("data-many").replace("%(count)s", String(count));
    }
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function open() {
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function setActive(index) {
    var options = list.querySelectorAll('[role="option"]');
    if (!options.length) {
      return;
    }
    if (index < 0) {
      index = options.length - 1;
    } else if (index >= options.length) {
      index = 0;
    }
    active = index;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    input.setAttribute("aria-activedescendant", options[index].id);
    if (options[index].scrollIntoView) {
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function choose(index) {
    var suggestion = items[index];
    if (!suggestion) {
      return;
    }
    if (suggestion.kind === "city") {
      input.value = suggestion.value;
    }
    close();
    window.location.assign(suggestion.url);
  }

  function render(suggestions) {
    items = suggestions;
    active = -1;
    list.textContent = "";
    suggestions.forEach(function (suggestion, index) {
      var option = document.createElement("li");
      option.id = list.id + "-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "suggestion suggestion--" + suggestion.kind;
      var label = document.createElement("span");
      label.className = "suggestion__label";
      label.textContent = suggestion.label;
      var kind = document.createElement("span");
      kind.className = "suggestion__kind";
      kind.textContent = list.getAttribute("data-kind-" + suggestion.kind) || "";
      option.appendChild(label);
      option.appendChild(kind);
      // mousedown, not click: the input must not lose focus (and close the list) first.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(index);
      });
      list.appendChild(option);
    });
    input.removeAttribute("aria-activedescendant");
    if (suggestions.length) {
      open();
    } else {
      close();
    }
    announce(suggestions.length);
  }

  function fetchSuggestions() {
    var query = input.value.trim();
    if (!query) {
      items = [];
      close();
      announce(0);
      return;
    }
    if (query === requested) {
      open();
      return;
    }
    requested = query;
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (data) {
        if (input.value.trim() === query && document.activeElement === input) {
          render(data.suggestions || []);
        }
      })
      .catch(function () {
        /* aborted or offline: keep the plain search box */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, 150);
  });

  input.addEventListener("keydown", function (event) {
    var expanded = !list.hidden;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!expanded) {
          open();
        }
        setActive(active + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!expanded) {
          open();
        }
        setActive(active < 0 ? items.length - 1 : active - 1);
        break;
      case "Home":
      case "End":
        if (expanded && active >= 0) {
          event.preventDefault();
          setActive(event.key === "Home" ? 0 : items.length - 1);
        }
        break;
      case "Enter":
        if (expanded && active >= 0) {
          event.preventDefault();
          choose(active);
        }
        break;
      case "Escape":
        if (expanded) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
        break;
      case "Tab":
        close();
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", function () {
    window.setTimeout(close, 120);
  });
})();
