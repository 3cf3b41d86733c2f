// Live page: fetch the fragment every 3 seconds and swap it in (no framework, same origin).
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) { return; }
  var src = box.getAttribute("data-src");
  function refresh() {
    fetch(src, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { window.location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html !== null && html !== undefined) { box.innerHTML = html; }
    }).catch(function () { /* offline for a moment: try again next tick */ });
  }
  setInterval(refresh, 3000);
}());
