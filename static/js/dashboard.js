(function () {
  var data = JSON.parse(document.getElementById("dj-dashboard-data").textContent);
  var charts = [];
  function paint(items, colors) {
    return items.map(function (item, i) { return { name: item.name, value: item.value, itemStyle: { color: colors[i] } }; });
  }
  var composition = echarts.init(document.getElementById("chart-composition"));
  composition.setOption({
    tooltip: { trigger: "item", formatter: "{a}<br>{b}：{c}（{d}%）" },
    legend: { bottom: 0, type: "scroll" },
    series: [
      { name: data.labels.category, type: "pie", radius: ["0%", "40%"], center: ["50%", "45%"], minShowLabelAngle: 20,
        label: { position: "inner", formatter: "{b}\n{c}", fontSize: 11, color: "#fff" },
        data: paint(data.category, ["#b71c1c", "#e57373"]) },
      { name: data.labels.work_status, type: "pie", radius: ["52%", "70%"], center: ["50%", "45%"],
        label: { formatter: "{b} {c}" }, data: paint(data.work_status, ["#c9a227", "#6d4c41"]) }
    ]
  });
  charts.push(composition);
  var groups = echarts.init(document.getElementById("chart-groups"));
  var names = data.groups.names.slice().reverse(), values = data.groups.values.slice().reverse();
  groups.setOption({
    color: ["#b71c1c"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1, splitNumber: 4, axisLabel: { hideOverlap: true } },
    yAxis: { type: "category", data: names, axisLabel: { width: 150, overflow: "truncate" } },
    series: [{ name: data.labels.members, type: "bar", data: values, barMaxWidth: 22,
               label: { show: true, position: "right" } }]
  });
  charts.push(groups);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
