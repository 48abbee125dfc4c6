/* Grid actions (office/views/signboards.py, GridActionsMixin): one button per action named in
 * #grid-config "actions"; it posts the ids of the rows in the selected range to the action's
 * URL and reloads the page of rows. Needs window.officeGrid (static/grid/grid.js).
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("grid-config").textContent);
  var actions = cfg.actions || [];
  var toolbar = document.querySelector(".office-grid-toolbar");
  var statusEl = document.getElementById("grid-status");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  if (!actions.length || !toolbar || !window.officeGrid) { return; }
  var table = window.officeGrid;

  function setStatus(message, kind) {
    statusEl.textContent = message || "";
    statusEl.className = "office-grid-status" + (kind ? " is-" + kind : "");
  }

  function selectedIds() {
    var ids = [];
    table.getRanges().forEach(function (range) {
      range.getRows().forEach(function (row) {
        var id = row.getData().id;
        if (id && ids.indexOf(id) < 0) { ids.push(id); }
      });
    });
    return ids;
  }

  function run(action) {
    var ids = selectedIds();
    if (!ids.length) { setStatus("请先在表格中选中要操作的行（可拖选多行）", "error"); return; }
    var question = (action.confirmation || action.text) + "\n（共 " + ids.length + " 行）";
    if (!window.confirm(question)) { return; }
    setStatus("正在执行“" + action.text + "”…");
    fetch(action.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf ? csrf.getAttribute("content") : ""},
      body: JSON.stringify({ids: ids}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return {ok: r.ok, status: r.status, body: body};
      });
    }).then(function (res) {
      if (res.ok) {
        var message = res.body.message || "已完成";
        table.replaceData().then(function () { setStatus(message, "ok"); },
                                 function () { setStatus(message, "ok"); });
      } else if (res.status === 404) {
        setStatus("有记录不存在、已处理或不在您的管辖范围内，未执行", "error");
      } else {
        setStatus(res.body.message || ("操作失败（HTTP " + res.status + "）"), "error");
      }
    }).catch(function (err) { setStatus("操作失败：" + err.message, "error"); });
  }

  var group = document.createElement("div");
  group.className = "btn-group btn-group-sm office-grid-actions";
  actions.forEach(function (action) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-warning";
    button.id = "grid-action-" + action.name;
    button.title = action.confirmation || action.text;
    button.innerHTML = '<i class="fa fa-exchange"></i> ';
    button.appendChild(document.createTextNode(action.text));
    button.addEventListener("click", function () { run(action); });
    group.appendChild(button);
  });
  var reload = document.getElementById("grid-reload");
  toolbar.insertBefore(group, reload || null);
})();
