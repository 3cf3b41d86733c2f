// Live page: fetch the fragment every 3 seconds; swap it in only when it changed, never
// while a button is being pressed or a form was just sent. Same origin, no framework.
(function () {
  "use strict";
  var box = document.getElementById("live");
  var stamp = document.getElementById("updated");
  if (!box) { return; }
  var src = box.getAttribute("data-src");
  var last = box.innerHTML.trim();
  var touched = 0;  // a finger or mouse is on the page: do not swap the list under it
  var leaving = false;  // a form was sent (e.g. "Saya tangani"): the next page is coming
  box.addEventListener("pointerdown", function () { touched = Date.now(); });
  box.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });  // back again
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function refresh() {
    fetch(src, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { window.location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null || html === undefined) { return; }
      var now = new Date();
      if (stamp) {
        stamp.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" +
          pad(now.getSeconds());
      }
      if (leaving || Date.now() - touched < 2000) { return; }
      if (html.trim() !== last) { box.innerHTML = html; last = html.trim(); }
    }).catch(function () { /* offline for a moment: try again on the next tick */ });
  }
  setInterval(refresh, 3000);
}());
