/* Behaviour shared by every page, without inline script (the Content-Security-Policy allows none):
   a form or a submit button with data-confirm asks before it is submitted, a control with data-autosubmit submits its form
   when changed, a button with data-print prints the page, a link with data-dj-pick-all ticks the collection sheet's rows; a search in a picker of a large scope
   (orgs.widgets.OrgSearchSelect, members.widgets.MemberSearchSelect) that replaced its select's options is a
   change of that select (what follows the select — a roster, a hint — follows the search's choice). */
(function () {
  document.addEventListener("submit", function (event) {
    // the button that submitted asks its own question (one form, several actions), else the form's
    var button = event.submitter && event.submitter.closest("[data-confirm]");
    var asking = button || event.target.closest("form[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) {
      event.target.form.submit();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var select = event.target;
    if (select.tagName === "SELECT" && select.parentElement && select.parentElement.classList.contains("dj-orgpick")) {
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
    // 全选 of the collection sheet: ticks every row in place (without script the link reloads the sheet ticked)
    if (event.target.closest("[data-dj-pick-all]")) {
      var boxes = document.querySelectorAll('[data-testid="bulk-form"] input[data-testid="pick"]');
      if (boxes.length) {
        event.preventDefault();
        boxes.forEach(function (box) { box.checked = true; });
      }
    }
  });
})();
