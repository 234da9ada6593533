/* Live attendance counts, the absent-row state, the name filter and 全部出席 on the roster; the date's messages
   after a roster refresh. */
(function () {
  var form = document.getElementById("dj-meeting-form");
  if (!form) { return; }
  var labels = {expected: form.dataset.labelExpected, present: form.dataset.labelPresent};
  function set(scope, name, value) {
    scope.querySelectorAll('[data-dj-count="' + name + '"]').forEach(function (el) { el.textContent = value; });
  }
  function count() {
    var rows = Array.prototype.slice.call(form.querySelectorAll(".dj-roster-row"));
    var absent = function (row) { return row.querySelector(".dj-absent-box").checked; };
    var expected = rows.length, present = rows.filter(function (r) { return !absent(r); }).length;
    var live = form.querySelector("[data-dj-live]");
    if (!rows.length) { live.textContent = ""; }
    else if (!live.querySelector("b")) {
      live.innerHTML = labels.expected + ' <b data-dj-count="expected"></b> · ' + labels.present + ' <b data-dj-count="present"></b>';
    }
    set(live, "expected", expected); set(live, "present", present);
    var head = form.querySelector('[data-testid="roster-count"]');
    if (head) { set(head, "expected", expected); set(head, "present", present); }
    form.querySelectorAll("[data-dj-type]").forEach(function (item) {
      var t = item.getAttribute("data-dj-type");
      var mine = rows.filter(function (r) { return (" " + r.dataset.types + " ").indexOf(" " + t + " ") >= 0; });
      set(item, "expected", mine.length);
      set(item, "present", mine.filter(function (r) { return !absent(r); }).length);
    });
  }
  /* A row ticked absent gets its reason select (rendered only for the absent rows: a roster of hundreds of
     members would otherwise carry hundreds of selects). */
  function reasonSelect(row) {
    var slot = row.querySelector(".dj-reason"), kinds = document.getElementById("dj-reason-kinds");
    if (!slot || !kinds || slot.querySelector(".dj-reason-kind")) { return; }
    var select = kinds.content.querySelector("select").cloneNode(true);
    select.name = "reason_kind_" + row.dataset.member;
    select.setAttribute("aria-label", row.dataset.reasonLabel);
    slot.insertBefore(select, slot.firstChild);
  }
  form.addEventListener("change", function (e) {
    if (e.target.classList.contains("dj-absent-box")) {
      if (e.target.checked) { reasonSelect(e.target.closest(".dj-roster-row")); }
      count();
    }
  });
  form.addEventListener("input", function (e) {
    if (!e.target.hasAttribute("data-dj-filter")) { return; }
    var q = e.target.value.trim();
    form.querySelectorAll(".dj-roster-row").forEach(function (row) {
      row.hidden = q !== "" && row.dataset.name.indexOf(q) < 0;
    });
  });
  form.addEventListener("click", function (e) {
    if (!e.target.hasAttribute("data-dj-all-present")) { return; }
    form.querySelectorAll(".dj-absent-box:checked").forEach(function (box) { box.checked = false; });
    count();
  });
  /* Enter in the roster (a reason, the name filter) must not submit a half-filled record. */
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.closest("#dj-roster") && e.target.tagName === "INPUT") { e.preventDefault(); }
  });
  /* Each roster refresh brings the date's messages as the date is now (#dj-date-feedback, out of band): the input is
     marked from them, and the summary above the form goes once no field has a message left. */
  function dateState() {
    var date = form.querySelector("[name=date]"), feedback = document.getElementById("dj-date-feedback");
    if (!date || !feedback) { return; }
    var bad = feedback.querySelector(".invalid-feedback") !== null;
    date.classList.toggle("is-invalid", bad);
    if (bad) {
      date.setAttribute("aria-invalid", "true");
      date.setAttribute("aria-describedby", "id_date_error");
    } else {
      date.removeAttribute("aria-invalid");
      date.removeAttribute("aria-describedby");
    }
    var summary = form.querySelector("[data-dj-error-summary]");
    if (summary) { summary.hidden = form.querySelector(".invalid-feedback") === null; }
  }
  document.body.addEventListener("htmx:beforeRequest", function () { document.getElementById("dj-people").setAttribute("aria-busy", "true"); });
  document.body.addEventListener("htmx:afterSettle", function () { document.getElementById("dj-people").setAttribute("aria-busy", "false"); dateState(); count(); });
  count();
})();
