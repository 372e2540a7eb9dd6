/* Settings: on an account still on the default zone (UTC), offer the browser's zone by filling it
 * in, visibly; nothing is saved until the user presses Save. */
(function () {
  "use strict";
  // Browsers' ICU still answers some zones by their pre-rename names (Chromium says
  // "Asia/Katmandu" and "Asia/Calcutta"); offer the current IANA name instead.
  var CURRENT_NAMES = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Rangoon": "Asia/Yangon", "Asia/Dacca": "Asia/Dhaka", "Asia/Thimbu": "Asia/Thimphu",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Europe/Kiev": "Europe/Kyiv", "Atlantic/Faeroe": "Atlantic/Faroe",
    "America/Godthab": "America/Nuuk", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Catamarca": "America/Argentina/Catamarca", "America/Cordoba": "America/Argentina/Cordoba",
    "America/Jujuy": "America/Argentina/Jujuy", "America/Mendoza": "America/Argentina/Mendoza",
    "America/Indianapolis": "America/Indiana/Indianapolis", "America/Louisville": "America/Kentucky/Louisville",
    "Pacific/Enderbury": "Pacific/Kanton", "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Truk": "Pacific/Chuuk",
    "Africa/Asmera": "Africa/Asmara",
  };
  var input = document.getElementById("id_timezone");
  if (!input || !input.hasAttribute("data-suggest-browser-zone")) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var known = {};
  Array.prototype.forEach.call(document.querySelectorAll("#timezone-list option"), function (o) { known[o.value] = true; });
  zone = known[CURRENT_NAMES[zone]] ? CURRENT_NAMES[zone] : zone;
  if (!zone || zone === input.value || !known[zone]) return;
  input.value = zone;
  var note = document.getElementById("timezone-suggestion");
  if (note) note.textContent = "We filled in your browser's time zone, " + zone + ". Press Save to keep it.";
})();
