/* Countdowns to a session's start, in the visitor's own time zone. The server renders the start in
   the summit's zone (KST) and as an ISO date-time in data-start; this turns it into a ticking
   countdown and adds the start in local time. No network, no library. */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function localLabel(element, start) {
    if (!window.Intl || !Intl.DateTimeFormat) return "";
    var lang = document.documentElement.lang || undefined;
    try {
      var text = new Intl.DateTimeFormat(lang, {
        weekday: "short",
        year: "numeric",
        month: "long",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        timeZoneName: "short"
      }).format(start);
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) text += " (" + zone + ")";
      return fill(element.getAttribute("data-text-local") || "{time}", { time: text });
    } catch (error) {
      return "";
    }
  }

  function setup(element) {
    var start = new Date(element.getAttribute("data-start"));
    if (isNaN(start.getTime())) return;
    var remaining = element.querySelector("[data-countdown-remaining]");
    var local = element.querySelector("[data-countdown-local]");
    var label = element.querySelector("[data-countdown-label]");
    if (local) local.textContent = localLabel(element, start);
    var wasCounting = false;

    function tick() {
      var seconds = Math.floor((start.getTime() - Date.now()) / 1000);
      if (seconds <= 0) {
        if (remaining) remaining.textContent = element.getAttribute("data-text-started") || "";
        if (label) label.hidden = true;
        window.clearInterval(timer);
        // Reload only when the start passed during this visit (never a reload loop on a wrong clock).
        if (wasCounting && !element.hasAttribute("data-no-reload")) {
          window.setTimeout(function () { window.location.reload(); }, 3000);
        }
        return;
      }
      wasCounting = true;
      var d = Math.floor(seconds / 86400);
      var h = Math.floor((seconds % 86400) / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      var template = d > 0
        ? element.getAttribute("data-format-days") || "{d} d {h} h {m} min"
        : element.getAttribute("data-format-hours") || "{h} h {m} min {s} s";
      if (remaining) remaining.textContent = fill(template, { d: d, h: h, m: pad(m), s: pad(s) });
    }

    var timer = window.setInterval(tick, 1000);
    tick();
    element.setAttribute("data-countdown-ready", "");
  }

  function init() {
    var elements = document.querySelectorAll("[data-countdown]:not([data-countdown-ready])");
    Array.prototype.forEach.call(elements, setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
