/* Settings: on an account still on the default zone (UTC), offer the browser's zone by filling it
 * in, visibly; nothing is saved until the user presses Save. */
(function () {
  "use strict";
  var input = document.getElementById("id_timezone");
  if (!input || !input.hasAttribute("data-suggest-browser-zone")) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === input.value) return;
  var known = Array.prototype.some.call(document.querySelectorAll("#timezone-list option"), function (o) {
    return o.value === zone;
  });
  if (!known) return;
  input.value = zone;
  var note = document.getElementById("timezone-suggestion");
  if (note) note.textContent = "We filled in your browser's time zone, " + zone + ". Press Save to keep it.";
})();
