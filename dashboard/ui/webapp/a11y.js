// Names and landmarks Bokeh 3.9 and Panel 1.9 leave out, added in the browser (no CDN, no
// dependency). Runs over every Bokeh view's shadow root twice a second, because Bokeh
// re-renders a view's shadow root on many changes; each pass only touches what lacks a name.
(function () {
  "use strict";
  const TITLE_OF = view => (view.model && (view.model.title || view.model.placeholder || "")).toString()
    .replace(/[:\s]+$/, "").trim();

  function labelled(root, el) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return true;
    if (el.closest("label")) return true;
    const id = el.getAttribute("id");
    if (!id) return false;
    const label = root.querySelector(`label[for="${CSS.escape(id)}"]`);
    return !!(label && label.textContent.trim());
  }

  function patchView(view) {
    const root = view.shadow_el;
    if (!root || !root.querySelectorAll) return;
    const title = TITLE_OF(view);
    // Number inputs: the arrow buttons get names and leave the Tab order (the arrow keys
    // and typing do the same, with one Tab stop per field).
    for (const button of root.querySelectorAll(".bk-spin-btn:not([aria-label])")) {
      const up = button.classList.contains("bk-spin-btn-up");
      button.setAttribute("aria-label", `${up ? "Increase" : "Decrease"} ${title || "the number"}`);
      button.tabIndex = -1;
    }
    // Date pickers draw a second, read-only text field (flatpickr's) without a label; selects
    // and file fields without a title get the widget's title or placeholder.
    for (const field of root.querySelectorAll("input:not([type=hidden]), select, textarea")) {
      if (field.dataset.fibroNamed || labelled(root, field)) continue;
      const name = title || field.getAttribute("placeholder") || field.getAttribute("title") || "";
      if (name) field.setAttribute("aria-label", name);
      field.dataset.fibroNamed = "1";
    }
    // A phone's date field (flatpickr's native one) comes with tabindex="1", which puts it
    // before everything else in the Tab order.
    for (const field of root.querySelectorAll("[tabindex]")) {
      if (field.tabIndex > 0) field.tabIndex = 0;
    }
    // Range sliders: each handle says which end it moves.
    const handles = root.querySelectorAll(".noUi-handle[role=slider]:not([aria-label])");
    handles.forEach((handle, i) => {
      const end = handles.length === 2 ? (i === 0 ? " (from)" : " (to)") : "";
      handle.setAttribute("aria-label", `${title || "Range"}${end}`);
    });
    // Plot toolbars show a 20 px logo linking to bokeh.org (off this computer).
    for (const logo of root.querySelectorAll("a.bk-logo")) logo.style.display = "none";
    // A card's fold button: named by the card's title (drawn in a pane of its own).
    for (const button of root.querySelectorAll("button.card-header:not([aria-label])")) {
      let text = "";
      const collect = node => { for (const el of node.querySelectorAll("*")) {
        if (el.shadowRoot) collect(el.shadowRoot); } text += " " + (node.textContent || ""); };
      collect(button);
      button.setAttribute("aria-label", text.replace(/\s+/g, " ").trim() || "Show or hide");
    }
    // ... and says whether the card is open.
    if (view.model && typeof view.model.collapsed === "boolean" && view.model.collapsible !== false) {
      for (const button of root.querySelectorAll("button.card-header")) {
        const open = String(!view.model.collapsed);
        if (button.getAttribute("aria-expanded") !== open) button.setAttribute("aria-expanded", open);
      }
    }
    // Tabs: a tab list whose tabs say which one is shown.
    for (const list of root.querySelectorAll(".bk-headers-wrapper:not([role])")) {
      list.setAttribute("role", "tablist");
    }
    for (const tab of root.querySelectorAll(".bk-headers-wrapper > .bk-tab")) {
      if (tab.getAttribute("role") !== "tab") tab.setAttribute("role", "tab");
      const selected = String(tab.classList.contains("bk-active"));
      if (tab.getAttribute("aria-selected") !== selected) tab.setAttribute("aria-selected", selected);
    }
    // A hidden tab's content is out of reach of the keyboard, not only out of sight.
    const el = view.el;
    if (el && el.getAttribute) {
      const hidden = el.getAttribute("aria-hidden") === "true";
      if (hidden !== !!el.inert) el.inert = hidden;
    }
  }

  function patchPage() {
    const main = document.getElementById("main");
    if (main && !main.getAttribute("role")) main.setAttribute("role", "main");
    const sidebar = document.getElementById("sidebar");
    if (sidebar && !sidebar.getAttribute("role")) {
      sidebar.setAttribute("role", "region");
      sidebar.setAttribute("aria-label", "Filters");
      const list = sidebar.querySelector(":scope > ul");  // holds panels, not list items
      if (list) list.setAttribute("role", "none");
    }
    const title = document.querySelector("#header .app-header a.title");
    if (title && !document.querySelector("h1")) {
      const heading = document.createElement("h1");
      heading.className = title.className;
      heading.textContent = title.textContent.replace(/^\u00a0/, "").trim();
      title.replaceWith(heading);
    }
  }

  function pass() {
    patchPage();
    const index = window.Bokeh && window.Bokeh.index;
    if (!index || typeof index.all_views !== "function") return;
    for (const view of index.all_views()) {
      try { patchView(view); } catch (e) { /* a view being removed */ }
    }
    window.fibroA11yPasses = (window.fibroA11yPasses || 0) + 1;
  }

  window.addEventListener("DOMContentLoaded", () => { pass(); setInterval(pass, 500); });
  // a click or key may fold or unfold a card: its state is said at once, not up to 0.5 s later
  for (const kind of ["click", "keyup"]) document.addEventListener(kind, () => setTimeout(pass, 0), true);
})();
