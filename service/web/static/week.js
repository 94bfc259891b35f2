// My week (pages/my_week.html): arrow keys move between the grid's cells, a cell's
// number is selected on arriving so typing replaces it, and the totals follow what is
// typed. Enter saves the week: the form's own submit. Without this file the grid is
// an ordinary form (CSP: scripts from this site only, none inline).
"use strict";

(function () {
  const grid = document.querySelector(".week-grid");
  if (!grid) {
    return;
  }
  const form = grid.closest("form");
  const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const rows = grid.querySelectorAll("tbody tr").length;

  function cellAt(row, col) {
    return grid.querySelector(`input.units[data-row="${row}"][data-col="${col}"]`);
  }

  function show(input) {
    // On a phone one day shows at a time: moving to another day shows that day.
    const day = form.querySelector(`#show-day-${input.dataset.col}`);
    if (day && input.offsetParent === null) {
      day.checked = true;
    }
    input.focus();
    input.select();
  }

  grid.addEventListener("keydown", (event) => {
    const input = event.target;
    const move = MOVES[event.key];
    if (!move || !input.matches("input.units") || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    let row = Number(input.dataset.row);
    let col = Number(input.dataset.col);
    for (;;) {
      row += move[0];
      col += move[1];
      if (row < 0 || row >= rows || col < 0 || col > 6) {
        return; // the edge: stay (days that are not open are skipped over)
      }
      const next = cellAt(row, col);
      if (next) {
        event.preventDefault();
        show(next);
        return;
      }
    }
  });

  grid.addEventListener("focusin", (event) => {
    if (event.target.matches("input.units")) {
      event.target.select();
    }
  });

  function units(input) {
    const value = Number(input.value.trim());
    return Number.isInteger(value) && value > 0 ? value : 0;
  }

  function fixed(row, col) {
    // A day not open here keeps the units the ledger holds.
    const cell = grid.querySelectorAll("tbody tr")[row].querySelectorAll("td.day")[col];
    const shown = cell.querySelector(".closed-units");
    return shown ? Number(shown.textContent) || 0 : 0;
  }

  function total(row, col) {
    const input = cellAt(row, col);
    return input ? units(input) : fixed(row, col);
  }

  grid.addEventListener("input", () => {
    let week = 0;
    for (let col = 0; col < 7; col += 1) {
      let day = 0;
      for (let row = 0; row < rows; row += 1) {
        day += total(row, col);
      }
      grid.querySelector(`td.day-total[data-col="${col}"]`).textContent = day;
      week += day;
    }
    for (let row = 0; row < rows; row += 1) {
      let sum = 0;
      for (let col = 0; col < 7; col += 1) {
        sum += total(row, col);
      }
      grid.querySelector(`td.row-total[data-row="${row}"]`).textContent = sum;
    }
    grid.querySelector('[data-field="week_total"]').textContent = week;
  });
})();
