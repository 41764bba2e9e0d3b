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
/* hallscore: figures that change with every return (national and province averages, ranks) live in one small
   file per year, <year>/compare.js (window.hallscoreCompare, loaded by a script tag: works from file://), so
   that a new score elsewhere does not rewrite 20,000 hall pages. Cells marked data-hs-cell and charts marked
   data-hs-deviation are filled from it; without it they keep their "—". */
(function () {
  "use strict";
  var ROW = 22, LABEL_W = 150, BAR_W = 360, WIDTH = LABEL_W + BAR_W + 70;
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function num(v) {  // one decimal, half away from zero, as the pages' fmt does
    var r = Math.round(Math.abs(v) * 10 + 1e-9) / 10;
    return (v < 0 && r > 0 ? "-" : "") + r.toFixed(1);
  }
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  // Drawn to the width of its box: below the wide drawing's width (a phone) each label goes on its own line
  // above its bars, which then use the whole width, so no bar or value is cut off at the screen's edge.
  function deviation(title, labels, series, reference, note, room) {
    var narrow = room > 0 && room < WIDTH, width = narrow ? Math.max(280, Math.floor(room)) : WIDTH;
    var labelW = narrow ? 0 : LABEL_W, barW = narrow ? width : BAR_W, labelH = narrow ? 16 : 0;
    var diffs = series.map(function (s) {
      return labels.map(function (l) {
        return isNum(s[1][l]) && isNum(reference[l]) ? s[1][l] - reference[l] : null;
      });
    });
    var reach = 1;
    diffs.forEach(function (row) { row.forEach(function (d) { if (d !== null) reach = Math.max(reach, Math.abs(d)); }); });
    reach = Math.ceil(reach);
    var legendH = 22, barH = ROW * 0.7 - 3, groupH = (barH + 3) * series.length + 8 + labelH;
    var zero = labelW + barW / 2, half = barW / 2 - (narrow ? 40 : 30), body = [];
    series.forEach(function (s, i) {
      var x = labelW + i * 110;
      body.push('<rect class="hs-c' + (i + 1) + '" x="' + x + '" y="6" width="12" height="12"/>');
      body.push('<text class="hs-c-label" x="' + (x + 16) + '" y="16">' + esc(s[0]) + "</text>");
    });
    var height = legendH + 12 + groupH * Math.max(1, labels.length) + 16;
    body.push('<line class="hs-c-axis" x1="' + zero + '" y1="' + legendH + '" x2="' + zero + '" y2="' + (height - 18) + '"/>');
    labels.forEach(function (label, n) {
      var y0 = legendH + 6 + n * groupH;
      if (narrow) body.push('<text class="hs-c-label" x="0" y="' + (y0 + 12) + '">' + esc(label) + "</text>");
      else body.push('<text class="hs-c-label" x="' + (LABEL_W - 6) + '" y="' + (y0 + groupH / 2 + 3).toFixed(1) +
                     '" text-anchor="end">' + esc(label) + "</text>");
      series.forEach(function (s, i) {
        var d = diffs[i][n], y = y0 + labelH + i * (barH + 3);
        if (d === null) {
          body.push('<text class="hs-c-value" x="' + (zero + 4) + '" y="' + (y + barH - 2).toFixed(1) + '">—</text>');
          return;
        }
        var w = Math.abs(d) / reach * half, x = d >= 0 ? zero : zero - w;
        body.push('<rect class="hs-c' + (i + 1) + '" x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' +
                  w.toFixed(1) + '" height="' + barH.toFixed(1) + '"/>');
        var tx = d >= 0 ? zero + w + 4 : zero - w - 4, anchor = d >= 0 ? "start" : "end";
        body.push('<text class="hs-c-value" x="' + tx.toFixed(1) + '" y="' + (y + barH - 2).toFixed(1) +
                  '" text-anchor="' + anchor + '">' + (d > 0 ? "+" : "") + num(d) + "</text>");
      });
    });
    [[zero - half, "-" + reach], [zero, "0"], [zero + half, "+" + reach]].forEach(function (t) {
      body.push('<text class="hs-c-label" x="' + t[0].toFixed(1) + '" y="' + (height - 4) +
                '" text-anchor="middle">' + t[1] + "</text>");
    });
    var t = esc(title), caption = t + "。" + esc(note || "向右高于全国平均,向左低于全国平均");
    return '<figure class="hs-chart" data-search-exclude><svg' + (narrow ? ' class="hs-fit"' : "") +
      ' viewBox="0 0 ' + width + " " + Math.floor(height) +
      '" role="img" aria-label="' + t + '" xmlns="http://www.w3.org/2000/svg"><title>' + t + "</title>" +
      body.join("") + "</svg><figcaption>" + caption + "</figcaption></figure>";
  }
  function init() {
    var all = window.hallscoreCompare || {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-hs-compare]"), function (box) {
      var year = all[box.getAttribute("data-hs-compare")];
      if (!year) return;
      var province = year.provinces[box.getAttribute("data-hs-province")] || {};
      Array.prototype.forEach.call(box.querySelectorAll("[data-hs-cell]"), function (cell) {
        var key = cell.getAttribute("data-hs-cell"), at = key.indexOf(":");
        var scope = key.slice(0, at) === "national" ? year.national : province;
        var value = (scope.text || {})[key.slice(at + 1)];
        if (value !== undefined && value !== null) cell.textContent = value;
      });
      Array.prototype.forEach.call(box.querySelectorAll("[data-hs-deviation]"), function (slot) {
        var own = JSON.parse(slot.getAttribute("data-hs-values") || "null"), series = [];
        if (own) series.push([slot.getAttribute("data-hs-label"), own]);
        series.push([slot.getAttribute("data-hs-province-label") || box.getAttribute("data-hs-province"), province.avg || {}]);
        var draw = function () {
          slot.innerHTML = deviation(slot.getAttribute("data-hs-deviation"), year.sections, series,
                                     year.national.avg || {}, null, slot.clientWidth);
        };
        draw();
        var last = slot.clientWidth;
        window.addEventListener("resize", function () {
          if (slot.clientWidth !== last) { last = slot.clientWidth; draw(); }
        });
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
/* hallscore: a search for a hall's exact name or 厅编码 shows that hall first. The theme ranks by term weight, and
   province pages carry a boost (a place name finds the place first), which would put them above the hall itself.
   Hall entries are titled "名称(厅编码)"; the theme's segmentation puts zero-width spaces into titles. */
(function () {
  "use strict";
  function plain(s) { return String(s || "").replace(/[\u200b\s]/g, ""); }
  function exact(item, query) {
    var h = item.querySelector("h1");
    var title = plain(h ? h.textContent : "");
    return title === query || title.indexOf(query + "(") === 0 || title.slice(-query.length - 2) === "(" + query + ")";
  }
  function promote(list, input) {
    var query = plain(input.value);
    if (!query) return;
    var items = Array.prototype.slice.call(list.children);
    for (var i = 1; i < items.length; i++) {
      if (exact(items[i], query) && !exact(items[0], query)) { list.insertBefore(items[i], items[0]); return; }
    }
  }
  function init() {
    var list = document.querySelector(".md-search-result__list");
    var input = document.querySelector(".md-search__input");
    if (!list || !input || !window.MutationObserver) return;
    new MutationObserver(function () { promote(list, input); }).observe(list, { childList: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
