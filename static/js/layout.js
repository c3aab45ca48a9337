// Layout on every page: the main menu folds behind a button on narrow screens, table cells
// carry their column's name for the stacked phone layout, and boxes that scroll sideways can be
// reached with the keyboard.
"use strict";

(function () {
  function setUpMenu() {
    const toggle = document.querySelector(".nav-toggle");
    const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    const nav = toggle.closest("nav");
    const narrow = window.matchMedia("(max-width: 1023.98px)");
    const open = (value) => {
      toggle.setAttribute("aria-expanded", String(value));
      menu.classList.toggle("open", value);
    };
    // Below 1024 px the CSS folds the menu; wider, fold it only when it would not fit on one line.
    const fold = () => {
      const wasOpen = menu.classList.contains("open");
      nav.classList.remove("nav-folded");
      menu.classList.remove("open");
      const brand = nav.firstElementChild;
      const folded = narrow.matches || menu.scrollWidth > menu.clientWidth + 1
        || menu.offsetTop >= brand.offsetTop + brand.offsetHeight; // wrapped below the portal's name
      nav.classList.toggle("nav-folded", folded);
      open(folded && wasOpen);
    };
    fold();
    window.addEventListener("resize", fold);
    toggle.addEventListener("click", () => open(toggle.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        open(false);
        toggle.focus();
      }
    });
  }

  // On a phone tables are drawn as cards (display: block), which makes some browsers forget
  // they are tables: the roles say it again for screen readers (what the markup already means).
  function keepTableRoles(table) {
    table.setAttribute("role", "table");
    for (const group of table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot")) {
      group.setAttribute("role", "rowgroup");
    }
    for (const row of table.rows) {
      row.setAttribute("role", "row");
      for (const cell of row.cells) {
        if (cell.tagName === "TD") cell.setAttribute("role", "cell");
        else cell.setAttribute("role", cell.scope === "row" ? "rowheader" : "columnheader");
      }
    }
  }

  function labelCells() {
    document.querySelectorAll("main table").forEach((table) => {
      keepTableRoles(table);
      const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
      if (!head) return;
      const names = [];
      for (const cell of head.cells) {
        for (let n = 0; n < cell.colSpan; n++) names.push(cell.textContent.trim());
      }
      for (const body of table.tBodies) {
        for (const row of body.rows) {
          let column = 0;
          for (const cell of row.cells) {
            if (names[column] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[column]);
            column += cell.colSpan;
          }
        }
      }
    });
  }

  function focusableScrollBoxes() {
    document.querySelectorAll("main .overflow-auto").forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }

  // The player stays at the top of a tablet's screen (player.css): tell the page how tall it is,
  // so a focused comment field scrolls into view below it.
  function measureStickyPlayer() {
    const player = document.querySelector(".player-layout .player");
    if (!player || !window.ResizeObserver) return;
    new ResizeObserver(() => {
      document.documentElement.style.setProperty("--sticky-player-height", `${player.offsetHeight}px`);
    }).observe(player);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpMenu();
    measureStickyPlayer();
    labelCells();
    focusableScrollBoxes();
    window.addEventListener("resize", focusableScrollBoxes);
  });
})();
