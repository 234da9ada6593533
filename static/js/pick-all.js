/* 全选 / 全不选 of a list of checkboxes (the members offered on a training's page, to add as participants).
   A control carrying data-dj-pick-set="all" or "none" and data-dj-pick-form="<form id>" ticks or unticks, in
   place, every box of that form marked data-dj-pick; each [data-dj-pick-count="<form id>"] shows how many are
   ticked. Without script the controls are links that reload the list ticked (or not). */
(function () {
  function boxes(form) {
    return form.querySelectorAll('input[type="checkbox"][data-dj-pick]');
  }
  function update(form) {
    var ticked = Array.prototype.filter.call(boxes(form), function (box) { return box.checked; }).length;
    document.querySelectorAll('[data-dj-pick-count="' + form.id + '"]').forEach(function (el) {
      el.textContent = ticked;
    });
  }
  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-dj-pick-set]");
    if (!control) { return; }
    var form = document.getElementById(control.getAttribute("data-dj-pick-form"));
    if (!form) { return; }
    event.preventDefault();
    var value = control.getAttribute("data-dj-pick-set") === "all";
    boxes(form).forEach(function (box) { box.checked = value; });
    update(form);
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.hasAttribute && box.hasAttribute("data-dj-pick") && box.form && box.form.id) {
      update(box.form);
    }
  });
})();
