(function () {
  var table = document.querySelector(".dj-cm");
  if (!table) return;
  table.addEventListener("click", function (event) {
    var toggle = event.target.closest(".dj-cu-toggle");
    if (toggle) {
      var body = toggle.closest("tbody");
      var open = !body.classList.contains("dj-cu-open");
      body.classList.toggle("dj-cu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && !body.dataset.loaded) {
        body.dataset.loaded = "1";
        body.classList.add("dj-cu-loading");
        htmx.ajax("GET", toggle.dataset.url, { target: body, swap: "beforeend" }).then(function () {
          body.classList.remove("dj-cu-loading");
        });
      }
      return;
    }
    var cell = event.target.closest("td.dj-c[data-rule]");
    if (cell && !event.target.closest("a")) {
      var row = cell.closest("tr[data-href]");
      if (row) {
        // the organisation's page lists only what fails or is pending unless asked for every rule
        var status = cell.dataset.status, url = row.dataset.href, rule = encodeURIComponent(cell.dataset.rule);
        url += (url.indexOf("?") < 0 ? "?" : "&") + (status === "fail" || status === "pending" ? "" : "show=all&");
        window.location.href = url + "open=" + rule + "#rule-" + rule;
      }
    }
  });
})();
