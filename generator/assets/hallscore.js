/* hallscore: click a column head of a table.hs-sortable to sort by it (again to reverse). No libraries. */
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) v = cell.textContent.trim();
    var n = parseFloat(v);
    return (v !== "" && !isNaN(n) && /^-?[\d.]+$/.test(v)) ? n : v;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return a.localeCompare(b, "zh-CN");
  }
  function setup(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("hs-sort");
      th.setAttribute("title", "点击排序");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var desc = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(key(r1.cells[col]), key(r2.cells[col]));
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.hs-sortable"), function (t) {
      if (!t.hasAttribute("data-hs-ready")) { t.setAttribute("data-hs-ready", ""); setup(t); }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
