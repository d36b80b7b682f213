"use strict";
// nnarith report: the layer tables sort by a click on a header; a layer's working opens from its link.
(function () {
  // Figures are exact integers, far past 2^53: data-v holds their digits, compared by length, then as text.
  function byDigits(a, b) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }

  var collator = new Intl.Collator(undefined, { numeric: true });  // relu2 before relu10

  function compare(type, a, b) {
    if (type === "text") {
      return collator.compare(a, b);
    }
    if (a === "whole" || b === "whole") {  // the receptive field of the whole input: past every window
      return (a === "whole") - (b === "whole");
    }
    return byDigits(a, b);
  }

  function sortTable(table, header) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var column = heads.indexOf(header);
    var type = header.getAttribute("data-type");
    var previous = header.getAttribute("aria-sort");
    var ascending = previous ? previous === "descending" : type !== "number";  // largest first at first
    if (type === "order") {
      ascending = true;
    }
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var entries = Array.prototype.map.call(body.rows, function (row) {  // each row's keys, read once
      var cell = row.cells[column];
      return { row: row, order: row.cells[0].getAttribute("data-v"),
               key: cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : null };
    });
    entries.sort(function (x, y) {
      if (x.key === null || y.key === null) {  // a figure nobody knows stays last, whichever the direction
        return (x.key === null) - (y.key === null) || byDigits(x.order, y.order);
      }
      var c = compare(type, x.key, y.key);
      return (ascending ? c : -c) || byDigits(x.order, y.order);  // ties keep the network's order
    });
    var sorted = document.createDocumentFragment();
    entries.forEach(function (e) { sorted.appendChild(e.row); });
    body.appendChild(sorted);
    var tree = type === "order";
    table.classList.toggle("sorted", !tree);
    var status = table.parentNode.parentNode.querySelector(".sort-status");
    if (status) {
      status.textContent = tree ? "In network order." : "Sorted by " + header.textContent.trim() + ", " +
        (ascending ? "smallest" : "largest") + " first; block rows, which sum the rows under them, are " +
        "hidden while sorted (click # for the network order).";
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      var button = header.querySelector("button");
      if (button) {
        button.addEventListener("click", function () { sortTable(table, header); });
      }
    });
  });

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {  // a layer's working, and the block around it
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  Array.prototype.forEach.call(document.querySelectorAll("button[data-details]"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-details") === "open";
      Array.prototype.forEach.call(document.querySelectorAll("#working details"), function (d) { d.open = open; });
    });
  });
})();
