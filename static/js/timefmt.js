/* Instants in words, in the USER's zone (not the browser's): the same rules as
 * scheduling/display.py format_next_run. Change both together;
 * tests/web/test_browser.py::test_the_browser_formats_next_runs_exactly_like_the_server compares them.
 *
 *   WOS.formatNextRun(when, now, zone)  -> "Today at 2:00 PM" | "Tomorrow at 9:00 AM" | "Dec 3 at 9:00 AM"
 *   WOS.renderRelativeTimes(root, now)  -> re-renders every <time data-relative data-zone="..."> under root
 */
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var formatters = {};

  function formatter(zone) {
    if (!formatters[zone]) {
      formatters[zone] = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", hourCycle: "h23",
      });
    }
    return formatters[zone];
  }

  /* The wall-clock fields of an instant in a zone. */
  function localParts(date, zone) {
    var parts = {};
    formatter(zone).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return {
      year: +parts.year, month: +parts.month, day: +parts.day,
      hour: +parts.hour % 24, minute: +parts.minute,
    };
  }

  /* A calendar date as a day count, so "the next date" works across months, years and DST. */
  function dayNumber(p) {
    return Math.round(Date.UTC(p.year, p.month - 1, p.day) / 86400000);
  }

  function clock(p) {
    var hour = p.hour % 12 || 12;
    return hour + ":" + (p.minute < 10 ? "0" : "") + p.minute + " " + (p.hour < 12 ? "AM" : "PM");
  }

  function formatNextRun(when, now, zone) {
    var local = localParts(when, zone);
    var today = dayNumber(localParts(now, zone));
    var day = dayNumber(local);
    if (day === today) return "Today at " + clock(local);
    if (day === today + 1) return "Tomorrow at " + clock(local);
    return MONTHS[local.month - 1] + " " + local.day + " at " + clock(local);
  }

  /* <time datetime="ISO" data-relative data-zone="America/New_York">Today at 2:00 PM</time> */
  function renderRelativeTimes(root, now) {
    var nodes = (root || document).querySelectorAll("time[data-relative][data-zone]");
    now = now || new Date();
    Array.prototype.forEach.call(nodes, function (node) {
      var text = formatNextRun(new Date(node.getAttribute("datetime")), now, node.getAttribute("data-zone"));
      if (node.textContent !== text) node.textContent = text;
    });
  }

  window.WOS = window.WOS || {};
  window.WOS.formatNextRun = formatNextRun;
  window.WOS.renderRelativeTimes = renderRelativeTimes;

  // Pages left open past midnight: "Tomorrow" must become "Today" without a reload.
  document.addEventListener("DOMContentLoaded", function () {
    renderRelativeTimes(document);
    window.setInterval(function () { renderRelativeTimes(document); }, 30000);
  });
})();
