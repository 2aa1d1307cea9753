/**
 * The page's only stylesheet and script, shipped inside the package: no CDN, no web font, no
 * request leaves the machine. The script adds live updates (server-sent events) and keys; every
 * page works without it.
 */
export const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f23;--muted:#6a737d;--line:#e1e4e8;--head:#f6f8fa;--accent:#0366d6;--add:#e6ffed;--del:#ffeef0;--chg:#fff8c5;--err:#b31d28;--warn:#8a6d00}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#c9d1d9;--muted:#8b949e;--line:#30363d;--head:#161b22;--accent:#58a6ff;--add:#12261e;--del:#2d1517;--chg:#2b2511;--err:#f85149;--warn:#d29922}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:13px/1.45 ui-sans-serif,system-ui,-apple-system,"Segoe UI",sans-serif}
header{display:flex;gap:1rem;align-items:baseline;padding:.5rem 1rem;border-bottom:1px solid var(--line);background:var(--head);position:sticky;top:0}
header nav{display:flex;gap:.75rem}
a{color:var(--accent);text-decoration:none}a:hover,a:focus{text-decoration:underline}
nav a[aria-current=page]{font-weight:600;color:var(--fg)}
kbd{font:11px ui-monospace,monospace;border:1px solid var(--line);border-radius:3px;padding:0 3px;color:var(--muted)}
main{padding:.75rem 1rem;max-width:1400px}
footer{padding:.5rem 1rem;border-top:1px solid var(--line)}
h1{font-size:1.25rem;margin:.25rem 0 .75rem}h2{font-size:1rem;margin:1.25rem 0 .5rem}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600;position:sticky;top:2.2rem}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr:focus{outline:2px solid var(--accent);outline-offset:-2px}
caption{text-align:left;color:var(--muted);padding:2px 0}
pre,code,td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{margin:0;white-space:pre-wrap;word-break:break-word}
pre.json{background:var(--head);border:1px solid var(--line);padding:6px;border-radius:4px;max-height:24rem;overflow:auto}
td pre.json{max-height:12rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 1rem;margin:0 0 1rem}dt{color:var(--muted)}dd{margin:0}
.notice{padding:6px 10px;border-radius:4px;border:1px solid var(--line)}
.notice.error{border-color:var(--err);color:var(--err)}.notice.warn{border-color:var(--warn);color:var(--warn)}
.deleted td{text-decoration:line-through;color:var(--muted)}.deleted td:last-child{text-decoration:none}
.tag{display:inline-block;font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;margin-left:4px;color:var(--muted)}
.tag.pk{border-color:var(--accent);color:var(--accent)}
tr.added{background:var(--add)}tr.removed{background:var(--del)}tr.changed{background:var(--chg)}
.status-failed{color:var(--err);font-weight:600}.status-ok{font-weight:600}
form.filter{display:flex;gap:.5rem;margin:.5rem 0}input{font:inherit;padding:2px 6px;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:3px}
.pager{display:flex;gap:1rem;margin:.5rem 0}
details{margin:.25rem 0}summary{cursor:pointer}
`;

export const JS = `
"use strict";
(function () {
  var live = document.body.getAttribute("data-live") === "1";
  var badge = document.getElementById("live");
  if (live && window.EventSource) {
    var busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var next = doc.getElementById("main");
        if (next) document.getElementById("main").innerHTML = next.innerHTML;
        badge.textContent = "live · updated " + new Date().toLocaleTimeString();
      }).catch(function () {}).then(function () { busy = false; if (again) { again = false; refresh(); } });
    };
    var events = new EventSource("/events");
    events.addEventListener("change", refresh);
    events.onopen = function () { badge.textContent = "live"; };
    events.onerror = function () { badge.textContent = "not live (server stopped?)"; };
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA"))) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("main tbody tr"));
    var at = rows.indexOf(document.activeElement);
    var go = { o: "/", c: "/checkpoints", r: "/runs", h: "/http" }[e.key];
    if (go) { location.href = go; return; }
    if (e.key === "/") { var f = document.querySelector("main input"); if (f) { e.preventDefault(); f.focus(); } return; }
    if ((e.key === "j" || e.key === "k") && rows.length) {
      var next = rows[Math.max(0, Math.min(rows.length - 1, at + (e.key === "j" ? 1 : -1)))] || rows[0];
      next.focus(); e.preventDefault(); return;
    }
    if (e.key === "Enter" && at >= 0) { var a = rows[at].querySelector("a"); if (a) a.click(); }
  });
})();
`;
