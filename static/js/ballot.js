/* The 测评票 (evaluations/vote.html): before the "提交后不能修改" question, every person must have a choice. If some
   have none, the ballot is not submitted and the question not asked: the alert at the top of the form lists them
   (links to their rows), their rows are marked and the first is scrolled to. Runs before dangjian.js's confirm
   (a capture listener on window precedes the one on document). Without script the server says the same. */
(function () {
  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll("fieldset[data-member]"));
  }
  function chosen(row) {
    return row.querySelector('input[type="radio"]:checked') !== null;
  }
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches('form[data-testid="vote-form"]')) {
      return;
    }
    var missing = rows(form).filter(function (row) { return !chosen(row); });
    rows(form).forEach(function (row) { row.classList.toggle("dj-vote-missing", !chosen(row)); });
    if (!missing.length) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var alert = form.querySelector("[data-missing-alert]");
    if (alert) {
      var count = alert.querySelector("[data-missing-count]");
      count.textContent = count.getAttribute("data-template").replace("__N__", String(missing.length));
      var links = alert.querySelector("[data-missing-links]");
      links.textContent = "";
      missing.forEach(function (row) {
        var a = document.createElement("a");
        a.href = "#" + row.id;
        a.className = "link-danger";
        a.setAttribute("data-testid", "vote-missing-link");
        a.textContent = row.getAttribute("data-name");
        links.appendChild(a);
      });
      alert.classList.remove("d-none");
    }
    missing[0].scrollIntoView({block: "center"});
    var first = missing[0].querySelector('input[type="radio"]');
    if (first) {
      first.focus({preventScroll: true});
    }
  }, true);
  // a choice made: its row is no longer marked
  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest('form[data-testid="vote-form"] fieldset[data-member]');
    if (row && chosen(row)) {
      row.classList.remove("dj-vote-missing");
    }
  });
})();
