/* 共 N 条 and page numbers for the list page (templates/grid/list_widget.html). The page is
   drawn without a COUNT; this asks <view>/grid/count?list=1&<the page's own arguments> once
   (office/kit/grid/count.py: exact up to 10,000 rows, else 约 N or 超过 N) and then fills in
   the total and the page links around the current page. */
(function () {
  "use strict";
  var T = window.officeT || function (s) { return s; };

  function pageLink(arg, index) {
    var url = new URL(window.location.href);
    url.searchParams.set(arg, String(index));
    return url.pathname + url.search;
  }

  function item(text, href, cls, title) {
    var li = document.createElement("li");
    if (cls) { li.className = cls; }
    var a = document.createElement("a");
    a.textContent = text;
    a.href = href || "#";
    if (title) { a.title = title; }
    li.appendChild(a);
    return li;
  }

  // page indexes (0-based) to show: the first, the last when known, two either side of the
  // current one; null marks a gap
  function pageWindow(current, pages) {
    var shown = [], lo = Math.max(0, current - 2);
    var hi = pages ? Math.min(pages - 1, current + 2) : current + 2;
    if (lo > 0) { shown.push(0); if (lo > 1) { shown.push(null); } }
    for (var i = lo; i <= hi; i++) { shown.push(i); }
    if (pages && hi < pages - 1) {
      if (hi < pages - 2) { shown.push(null); }
      shown.push(pages - 1);
    } else if (!pages) {
      shown.push(null);
    }
    return shown;
  }

  function fill(box, count) {
    box.querySelector(".office-count-total").textContent = T("，") + count.text;
    box.setAttribute("data-count", String(count.count));
    var pager = box.parentNode.querySelector("ul.office-pages");
    var currentLi = pager && pager.querySelector(".office-page-current");
    if (!currentLi) { return; }
    var current = parseInt(box.getAttribute("data-page") || "0", 10);
    var arg = box.getAttribute("data-page-arg");
    var pages = count.pages;  // null for 超过 N: the last page is not known
    if (pages && current >= pages) { pages = null; }  // an estimate short of the page shown
    var title = count.estimated ? T("页数为估计值") : "";
    pageWindow(current, pages).forEach(function (index) {
      var li;
      if (index === null) {
        li = item("…", null, "disabled");
      } else if (index === current) {
        li = item(String(index + 1), null, "active office-page-current");
      } else {
        li = item(String(index + 1), pageLink(arg, index), "office-page-number", title);
      }
      pager.insertBefore(li, currentLi);
    });
    pager.removeChild(currentLi);
  }

  function start() {
    document.querySelectorAll("[data-count-url]").forEach(function (box) {
      fetch(box.getAttribute("data-count-url"),
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (count) { if (count) { fill(box, count); } })
        .catch(function () { /* the pager still works without the total */ });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
