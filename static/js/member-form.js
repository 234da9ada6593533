/* 变更生效日期 only matters when 所在组织, 人员类别 or 工作状态 changes: show it then (or when already filled). */
(function () {
  var box = document.getElementById("dj-effective");
  if (!box) { return; }
  var form = box.closest("form");
  var names = ["org", "category", "work_status"];
  var input = box.querySelector("input");
  function changed() {
    return names.some(function (n) {
      var el = form.elements[n];
      return el && String(el.value) !== box.dataset[n];
    });
  }
  function update() { box.hidden = !(changed() || input.value || box.querySelector(".invalid-feedback")); }
  names.forEach(function (n) { if (form.elements[n]) { form.elements[n].addEventListener("change", update); } });
  update();
})();
