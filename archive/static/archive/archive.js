/* Summit archive: deep links into recordings (#t=1h02m10s, ?t=3730&rec=en), chapter jumps,
   the visitor's local time under session times, and the print button. No network, no library. */
(function () {
  "use strict";

  var EMBED = "https://www.youtube-nocookie.com/embed/";
  var WATCH = "https://www.youtube.com/watch?v=";

  function parseOffset(text) {
    if (text === null || text === undefined) return null;
    text = String(text).trim().toLowerCase();
    if (!text) return null;
    var m;
    if (/^\d+$/.test(text)) return parseInt(text, 10);
    m = text.match(/^(\d+):(\d{1,2})(?::(\d{1,2}))?$/);
    if (m) {
      return m[3] === undefined
        ? parseInt(m[1], 10) * 60 + parseInt(m[2], 10)
        : parseInt(m[1], 10) * 3600 + parseInt(m[2], 10) * 60 + parseInt(m[3], 10);
    }
    m = text.match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/);
    if (m && (m[1] || m[2] || m[3])) {
      return parseInt(m[1] || 0, 10) * 3600 + parseInt(m[2] || 0, 10) * 60 + parseInt(m[3] || 0, 10);
    }
    return null;
  }

  function players() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-player]"));
  }

  function seek(player, seconds, autoplay) {
    var iframe = player.querySelector("iframe");
    var id = player.getAttribute("data-video-id");
    if (!iframe || !id) return;
    var query = "?start=" + seconds + (autoplay ? "&autoplay=1" : "");
    iframe.src = EMBED + encodeURIComponent(id) + query;
    var watch = player.querySelector("[data-watch-link]");
    if (watch) watch.href = WATCH + encodeURIComponent(id) + (seconds ? "&t=" + seconds + "s" : "");
    player.setAttribute("data-start", String(seconds));
    if (player.scrollIntoView) player.scrollIntoView({ block: "start" });
  }

  /* "#t=1h02m10s", "#t=3730", "#player-ko&t=90" or "#player-ko:t=1:30". */
  function seekFromHash() {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    if (!hash) return;
    var target = null;
    var seconds = null;
    hash.split(/[&:;,]/).forEach(function (part, index, parts) {
      if (/^player-[a-z]{2}$/.test(part)) {
        target = document.getElementById(part);
      } else if (part.indexOf("t=") === 0) {
        // "t=1:02:10" was split on ":"; glue the rest back.
        var rest = parts.slice(index).join(":").slice(2);
        seconds = parseOffset(part.slice(2));
        if (seconds === null) seconds = parseOffset(rest);
      }
    });
    if (seconds === null) return;
    var list = players();
    if (!list.length) return;
    seek(target && target.hasAttribute("data-player") ? target : list[0], seconds, false);
  }

  function onChapterClick(event) {
    var link = event.target.closest ? event.target.closest("a[data-offset][data-language]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    var player = document.getElementById("player-" + link.getAttribute("data-language"));
    var seconds = parseOffset(link.getAttribute("data-offset"));
    if (!player || seconds === null) return;
    event.preventDefault();
    seek(player, seconds, true);
    if (window.history && window.history.pushState) {
      window.history.pushState(null, "", link.getAttribute("href"));
    }
  }

  function showLocalTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var lang = document.documentElement.lang || undefined;
    Array.prototype.forEach.call(document.querySelectorAll("[data-local-time]"), function (element) {
      if (element.getAttribute("data-zone") === visitorZone) return;
      var times = element.querySelectorAll("time[datetime]");
      if (!times.length) return;
      var start = new Date(times[0].getAttribute("datetime"));
      var end = times.length > 1 ? new Date(times[1].getAttribute("datetime")) : null;
      if (isNaN(start.getTime())) return;
      var format = new Intl.DateTimeFormat(lang, {
        weekday: "short", year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
      var text;
      if (end && !isNaN(end.getTime()) && format.formatRange) {
        text = format.formatRange(start, end);
      } else {
        text = format.format(start);
      }
      var line = document.createElement("p");
      line.className = "local-time";
      line.textContent = (element.getAttribute("data-label") || "") + " " + text + (visitorZone ? " (" + visitorZone + ")" : "");
      element.parentNode.insertBefore(line, element.nextSibling);
    });
  }

  function enablePrint() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function init() {
    document.addEventListener("click", onChapterClick);
    window.addEventListener("hashchange", seekFromHash);
    seekFromHash();
    showLocalTimes();
    enablePrint();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
