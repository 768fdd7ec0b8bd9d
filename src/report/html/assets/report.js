
(function () {
  "use strict";
  var doc = document;
  var list = doc.getElementById("cases");
  var controls = doc.getElementById("controls");
  var search = doc.getElementById("q");
  var order = doc.getElementById("order");
  var shown = doc.getElementById("shown");
  var empty = doc.getElementById("empty");
  var rows = Array.prototype.slice.call(list.querySelectorAll("details.case"));
  function boxes(group) {
    return Array.prototype.slice.call(controls.querySelectorAll("input[name=\"" + group + "\"]"));
  }
  var outcomes = boxes("outcome");
  var areas = boxes("area");
  function picked(inputs) {
    var s = new Set();
    inputs.forEach(function (b) { if (b.checked) { s.add(b.value); } });
    return s;
  }
  function apply() {
    var o = picked(outcomes), a = picked(areas);
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var ok = o.has(r.dataset.outcome) && a.has(r.dataset.area) &&
        (q === "" || r.dataset.search.indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = "Showing " + n + " of " + rows.length + " cases";
    empty.hidden = n !== 0;
  }
  function sort() {
    var plan = order.value === "plan";
    rows.slice().sort(function (x, y) {
      var d = plan ? 0 : Number(x.dataset.rank) - Number(y.dataset.rank);
      return d || Number(x.dataset.index) - Number(y.dataset.index);
    }).forEach(function (r) { list.appendChild(r); });
  }
  controls.addEventListener("change", function (e) {
    if (e.target === order) { sort(); } else { apply(); }
  });
  search.addEventListener("input", apply);
  Array.prototype.forEach.call(controls.querySelectorAll("button[data-group]"), function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("data-check") === "all";
      boxes(b.getAttribute("data-group")).forEach(function (x) { x.checked = on; });
      apply();
    });
  });
  doc.getElementById("reset").addEventListener("click", function () {
    outcomes.concat(areas).forEach(function (b) { b.checked = true; });
    search.value = "";
    apply();
  });
  doc.getElementById("expand").addEventListener("click", function () {
    rows.forEach(function (r) { if (!r.hidden) { r.open = true; } });
  });
  doc.getElementById("collapse").addEventListener("click", function () {
    rows.forEach(function (r) { r.open = false; });
  });
  function said(b, text) {
    b.textContent = text;
    setTimeout(function () { b.textContent = "Copy"; }, 1600);
  }
  function copy(b) {
    var pre = b.closest("details").querySelector("pre");
    var text = pre.textContent;
    function select() {
      var range = doc.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (err) { ok = false; }
      said(b, ok ? "Copied" : "Selected: press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { said(b, "Copied"); }, select);
    } else {
      select();
    }
  }
  list.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.copy") : null;
    if (b) { copy(b); }
  });
  Array.prototype.forEach.call(list.querySelectorAll("button.copy"), function (b) { b.hidden = false; });
  function reveal(scroll) {
    var id = decodeURIComponent(location.hash.slice(1));
    var t = id ? doc.getElementById(id) : null;
    if (t && t.tagName === "DETAILS") {
      t.hidden = false;
      t.open = true;
      if (scroll) { t.scrollIntoView(); }
    }
  }
  window.addEventListener("hashchange", function () { reveal(true); });
  controls.hidden = false;
  apply();
  reveal(false);
  doc.body.setAttribute("data-js", "ready");
}());
