/* The dashboard's status card, live.
 *
 * The server renders the card (templates/workorders/_status_card.html). This script:
 *  - listens on the websocket ws/progress/ ({"type":"state"} on connect, then {"type":"progress"}),
 *    shows the phase and progress of a run in place, and announces phase changes to screen readers;
 *  - when a run ends, or the state on (re)connect differs from the page, fetches the card again
 *    from the server so the result, the next run and the counts are the server's own words;
 *  - reconnects with exponential backoff (1 s, 2 s, 4 s … 30 s, with jitter), except after 4401
 *    (not logged in), where reconnecting cannot help;
 *  - posts "Sync now" without leaving the page;
 *  - moves "Next run" on to the next fire time once one has passed.
 */
(function () {
  "use strict";
  var host = document.getElementById("status-card-host");
  if (!host) return;
  var live = document.getElementById("live-status");
  var indicator = document.getElementById("live-indicator");
  var ORDER = ["login", "navigation", "extraction", "saving"];
  // Mirrors scheduling/display.py PHASE_PROGRESS and run_progress_percent.
  var PHASE_PROGRESS = { queued: 0, login: 5, navigation: 12, extraction: 20, saving: 92, done: 100 };
  var lastAnnounced = null;
  var attempts = 0;
  var socket = null;
  var refreshing = null;

  function card() { return document.getElementById("status-card"); }
  function $(id) { return document.getElementById(id); }
  function isActive(run) { return run && (run.status === "queued" || run.status === "running"); }

  function announce(text) {
    // Clearing first makes screen readers repeat an identical announcement.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function setIndicator(text) { if (indicator) indicator.textContent = "Live updates: " + text; }

  function percent(run) {
    if (run.phase === "extraction" && run.page_count) {
      var done = Math.min(run.page, run.page_count) / run.page_count;
      return Math.round(PHASE_PROGRESS.extraction + done * (PHASE_PROGRESS.saving - 2 - PHASE_PROGRESS.extraction));
    }
    return PHASE_PROGRESS[run.phase] || 0;
  }

  function detail(run) {
    var parts = [];
    if (run.page) parts.push("Page " + run.page + (run.page_count ? " of " + run.page_count : ""));
    parts.push(run.rows_found + " row" + (run.rows_found === 1 ? "" : "s") + " found");
    return parts.join(" · ");
  }

  function showProgress(run) {
    var c = card();
    c.setAttribute("data-running", "true");
    c.setAttribute("data-active-run-id", String(run.id));
    $("run-progress").hidden = false;
    $("phase-label").textContent = run.phase_label;
    var value = percent(run);
    var bar = $("progress-bar");
    bar.setAttribute("aria-valuenow", String(value));
    bar.setAttribute("aria-valuetext", run.phase_label + ", " + detail(run));
    bar.firstElementChild.style.width = value + "%";
    $("progress-detail").textContent = detail(run);
    var current = ORDER.indexOf(run.phase);
    Array.prototype.forEach.call(c.querySelectorAll(".steps li"), function (li) {
      var index = ORDER.indexOf(li.getAttribute("data-phase"));
      li.className = index < current ? "done" : index === current ? "current" : "";
      if (index === current) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    var button = $("sync-now");
    if (button) button.disabled = true;
    if (run.phase !== lastAnnounced) {
      lastAnnounced = run.phase;
      announce(run.phase_label + "…");
    }
  }

  function finishedText(run) {
    if (run.status !== "succeeded") {
      return "Sync " + run.status + (run.error_message ? ": " + run.error_message : ".");
    }
    var c = run.counts || {};
    return "Sync finished: " + c.created + " created, " + c.updated + " updated, " + c.unchanged +
      " unchanged, " + c.delisted + " no longer listed, " + c.failed + " failed.";
  }

  function refreshCard() {
    if (refreshing) return refreshing;
    refreshing = fetch(host.getAttribute("data-card-url"), {
      credentials: "same-origin", headers: { Accept: "text/html" },
    }).then(function (response) {
      if (!response.ok) throw new Error("card " + response.status);
      return response.text();
    }).then(function (html) {
      host.innerHTML = html;
      window.WOS.renderRelativeTimes(host);
      bindSyncNow();
    }).catch(function () { /* keep what is shown; the next event or reconnect tries again */ })
      .then(function () { refreshing = null; });
    return refreshing;
  }

  function onRun(run) {
    if (!run) return;
    var c = card();
    if (isActive(run)) {
      showProgress(run);
      return;
    }
    var wasRunning = c.getAttribute("data-running") === "true";
    var known = c.getAttribute("data-last-run-id") === String(run.id);
    if (wasRunning || !known) {
      if (wasRunning) announce(finishedText(run));
      lastAnnounced = null;
      refreshCard();
    }
  }

  function onState(message) {
    var schedule = message.schedule || {};
    var c = card();
    var stale = (schedule.state && schedule.state !== c.getAttribute("data-state")) ||
      (schedule.state === "active" && (schedule.next_run || "") !== (c.getAttribute("data-next-run") || "") &&
        !upcomingIncludes(schedule.next_run));
    var run = message.run;
    if (!isActive(run) && c.getAttribute("data-running") === "true") stale = true;
    if (stale && !isActive(run)) { refreshCard(); return; }
    onRun(run);
    if (stale) refreshCard();
  }

  function upcoming() {
    var node = document.getElementById("upcoming-runs-data");
    try { return node ? JSON.parse(node.textContent) : []; } catch (e) { return []; }
  }

  function upcomingIncludes(iso) {
    if (!iso) return false;
    var t = new Date(iso).getTime();
    return upcoming().some(function (u) { return new Date(u.when).getTime() === t; });
  }

  /* Once the shown next run has passed, show the following one (the scheduler has its own clock;
   * this only keeps the words honest if no event arrives). */
  function advanceNextRun(now) {
    var c = card();
    var time = c.querySelector(".next-run time");
    if (!time) return;
    now = now || new Date();
    if (new Date(time.getAttribute("datetime")) > now) return;
    var next = upcoming().filter(function (u) { return new Date(u.when) > now; })[0];
    if (!next) { refreshCard(); return; }
    time.setAttribute("datetime", next.when);
    c.setAttribute("data-next-run", next.when);
    var zone = c.querySelector(".next-run .zone");
    if (zone) zone.textContent = next.zone;
    window.WOS.renderRelativeTimes(c, now);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + host.getAttribute("data-ws-path"));
    socket.onopen = function () { attempts = 0; setIndicator("on"); };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "state") onState(message);
      else if (message.type === "progress") onRun(message.run);
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4401) { setIndicator("off (please log in again)"); return; }
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.8 + Math.random() * 0.4);
      attempts += 1;
      setIndicator("reconnecting…");
      window.setTimeout(connect, delay);
    };
  }

  function bindSyncNow() {
    var form = $("sync-now-form");
    if (!form || form.getAttribute("data-bound")) return;
    form.setAttribute("data-bound", "true");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("sync-now");
      var error = $("sync-error");
      button.disabled = true;
      error.textContent = "";
      fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (result) {
        if (result.data.ok) {
          announce("Sync started.");
          // The socket may already have shown a later phase; only a fresh card takes the queued state.
          if (card().getAttribute("data-running") !== "true") showProgress(result.data.run);
        } else {
          error.textContent = result.data.message || "The sync could not start.";
          button.disabled = result.data.code === "run_in_progress";
        }
      }).catch(function () {
        error.textContent = "The sync could not be started — check your connection and try again.";
        button.disabled = false;
      });
    });
  }

  bindSyncNow();
  connect();
  window.setInterval(function () { advanceNextRun(); }, 30000);
  window.WOS.dashboard = {
    advanceNextRun: advanceNextRun,
    refreshCard: refreshCard,
    // Simulates a dropped connection (tests, and debugging from the console): the usual reconnect follows.
    dropConnection: function () { if (socket) socket.close(); },
  };
})();
