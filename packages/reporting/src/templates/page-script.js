// Inlined into report pages: sortable tables, text filters and the family selector.
// Plain ES5-style browser code with no dependencies, so pages work offline from file://.
(function () {
  function cellKey(row, col, numeric) {
    var cell = row.cells[col];
    if (!cell) return null;
    var raw = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent.trim();
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw === '' || raw === '\u2013' ? null : raw.toLowerCase();
  }

  function sortTable(table, col, th) {
    var numeric = th.getAttribute('data-sort') === 'number';
    var current = th.getAttribute('aria-sort');
    var first = th.getAttribute('data-first') === 'desc' ? 'descending' : 'ascending';
    var dir = current ? (current === 'ascending' ? 'descending' : 'ascending') : first;
    var sign = dir === 'ascending' ? 1 : -1;
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.forEach(function (row, i) {
      if (!row.hasAttribute('data-order')) row.setAttribute('data-order', String(i));
    });
    rows.sort(function (a, b) {
      var x = cellKey(a, col, numeric);
      var y = cellKey(b, col, numeric);
      // Missing values last in both directions; ties keep the original (rank) order.
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
      } else if (x !== y) {
        return (x < y ? -1 : 1) * sign;
      }
      return Number(a.getAttribute('data-order')) - Number(b.getAttribute('data-order'));
    });
    rows.forEach(function (row) {
      tbody.appendChild(row);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      other.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', dir);
  }

  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      if (!th.hasAttribute('data-sort')) return;
      th.addEventListener('click', function () {
        sortTable(table, col, th);
      });
      th.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          sortTable(table, col, th);
        }
      });
    });
  });

  function updateCount(id, shown, total) {
    var count = document.querySelector('[data-count-for="' + id + '"]');
    if (count) count.textContent = shown === total ? total + ' rows' : shown + ' of ' + total + ' rows';
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-for]'), function (input) {
    var id = input.getAttribute('data-filter-for');
    var table = document.getElementById(id);
    if (!table) return;
    var rows = table.tBodies[0].rows;
    updateCount(id, rows.length, rows.length);
    input.addEventListener('input', function () {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var match = terms.every(function (t) {
          return text.indexOf(t) !== -1;
        });
        row.hidden = !match;
        if (match) shown++;
      });
      updateCount(id, shown, rows.length);
    });
  });

  // Secondary columns stay hidden until asked for, so the ranking columns fit one screen.
  Array.prototype.forEach.call(document.querySelectorAll('input[data-all-columns-for]'), function (input) {
    var table = document.getElementById(input.getAttribute('data-all-columns-for'));
    if (!table) return;
    input.addEventListener('change', function () {
      table.classList.toggle('all-columns', input.checked);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll('select[data-family-select]'), function (select) {
    select.addEventListener('change', function () {
      Array.prototype.forEach.call(document.querySelectorAll('.family-panel'), function (panel) {
        panel.hidden = select.value !== '' && panel.getAttribute('data-family') !== select.value;
      });
    });
  });
})();
