/* Spreadsheet mode (office/kit/grid/views.py): one Tabulator grid built from the view's column
 * declarations (#grid-config). Edits, pastes and bulk sets are kept as unsaved changes per
 * row and sent in one batch to /grid/save; the server validates with the view's own form and
 * answers per-cell errors, which are drawn on the cells (red, message as tooltip).
 * Excel's keyboard habits are in keys.js, the unsaved edits' undo/redo in history.js (both
 * loaded before this file).
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("grid-config").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var columns = cfg.columns;
  var byField = {};
  columns.forEach(function (c) { byField[c.field] = c; });

  var labels = {};        // relation field -> {id: label} seen in rows and option lists
  var dirty = new Map();  // row key -> {field: value} not yet saved
  var stored = new Map(); // row key -> {field: value as loaded}, for the fields in `dirty`
  var errors = new Map(); // row key -> {field | "_row": message}
  var newSeq = 0;
  var undoToken = null;
  var searchTerm = "";
  var lastPage = {sig: null, page: 0, cursor: null, first: null};
  // UI text in the page's language (office/templates/office/_i18n_text.html)
  var T = window.officeT || function (s) { return s; };
  var lastParams = null;  // the sort and filters of the rows shown (for 导出)
  // A column is drawn at most this wide (a 200-character address would otherwise widen it to
  // thousands of pixels); the text is cut with an ellipsis, the whole of it is the cell's
  // tooltip, and the user can still drag the column wider.
  var WIDTH_CAP = 280;
  var statusEl = document.getElementById("grid-status");
  var table = null;
  var history = new window.OfficeGrid.History(replay, function () { refreshButtons(true); });

  // ------------------------------------------------------------------ helpers

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }

  function setStatus(message, kind) {
    statusEl.textContent = message || "";
    statusEl.className = "office-grid-status" + (kind ? " is-" + kind : "");
  }

  function isNewRow(data) { return !data.id; }

  function enumLabel(col, value) {
    for (var i = 0; i < col.choices.length; i++) {
      if (col.choices[i].value === value) { return col.choices[i].label; }
    }
    return value;
  }

  function relLabel(field, value, data) {
    if (value === null || value === undefined || value === "") { return ""; }
    var known = labels[field] && labels[field][value];
    if (known) { return known; }
    if (data && data._labels && data._labels[field]) { return data._labels[field]; }
    return String(value);
  }

  function remember(field, value, label) {
    labels[field] = labels[field] || {};
    labels[field][value] = label;
  }

  function display(col, value, data) {
    if (value === null || value === undefined) { return ""; }
    if (col.kind === "enum") { return enumLabel(col, value); }
    if (col.kind === "relation") { return relLabel(col.field, value, data); }
    if (col.kind === "bool") { return value === true ? "是" : (value === false ? "否" : String(value)); }
    return String(value);
  }

  // A pasted or bulk-set text as the cell stores it; anything unknown is kept as typed and
  // the server says what is wrong with it.
  function fromText(col, text) {
    if (text === null || text === undefined) { return null; }
    if (typeof text !== "string") { return text; }
    var t = text.trim();
    if (t === "") { return null; }
    if (col.kind === "enum") {
      for (var i = 0; i < col.choices.length; i++) {
        var ch = col.choices[i];
        if (t === ch.label || t === ch.value) { return ch.value; }
      }
      return t;
    }
    if (col.kind === "relation") {
      // pasted text goes to the server as typed: it names the row by the same rule as an
      // import does (kit/refs.py), so the same text gives the same row on both paths
      return t;
    }
    if (col.kind === "bool") {
      if (["是", "y", "yes", "true", "1", "√", "✓"].indexOf(t.toLowerCase()) >= 0) { return true; }
      if (["否", "n", "no", "false", "0", "×"].indexOf(t.toLowerCase()) >= 0) { return false; }
      return t;
    }
    if (col.kind === "date") {
      var m = t.match(/^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?/);
      if (m) { return m[1] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[3]).slice(-2); }
      return t;
    }
    if (col.kind === "int" || col.kind === "decimal" || col.kind === "float") {
      var n = t.replace(/[,，\s]/g, "");
      return /^-?\d+(\.\d+)?$/.test(n) ? Number(n) : t;
    }
    return text.replace(/\r/g, "");
  }

  function cellEditable(cell) {
    var col = byField[cell.getField()];
    if (!col) { return false; }
    var data = cell.getRow().getData();
    return isNewRow(data) ? (cfg.canAdd && col.canInsert) : (cfg.canEdit && col.canUpdate);
  }

  function sameValue(a, b) {
    var blank = function (v) { return v === null || v === undefined || v === ""; };
    return (blank(a) && blank(b)) || a === b;
  }

  // The same words as the server's (kit/values.TooLong): the text is counted in characters
  // after trimming, as the server counts it; nothing is ever cut.
  function tooLong(row, col, value) {
    if (!col.maxLength || typeof value !== "string") { return null; }
    var length = Array.from(value.trim()).length;
    if (length <= col.maxLength) { return null; }
    return "第" + row.getPosition() + "行「" + col.title + "」最多" + col.maxLength +
      "个字符，现有" + length + "个";
  }

  // `before`: the value the cell had (undefined: the row is new). A cell set back to what was
  // loaded is no longer a change (Ctrl+Z to the start leaves nothing to save).
  function markDirty(row, field, value, before) {
    var data = row.getData();
    var key = data._key;
    var changes = dirty.get(key) || {};
    var base = stored.get(key) || {};
    if (!Object.prototype.hasOwnProperty.call(base, field)) { base[field] = before; }
    stored.set(key, base);
    if (!isNewRow(data) && sameValue(base[field], value)) {
      delete changes[field];
      delete base[field];
    } else {
      changes[field] = value;
    }
    if (Object.keys(changes).length || isNewRow(data)) { dirty.set(key, changes); }
    else { dirty.delete(key); stored.delete(key); }
    var errs = errors.get(key) || {};
    delete errs[field];
    delete errs._row;
    var col = byField[field];
    var message = col && changes[field] !== undefined ? tooLong(row, col, value) : null;
    if (message) { errs[field] = message; setStatus(message, "error"); }
    if (Object.keys(errs).length) { errors.set(key, errs); } else { errors.delete(key); }
    refreshButtons();
    return message;
  }

  function isDirty(key, field) {
    return Object.prototype.hasOwnProperty.call(dirty.get(key) || {}, field);
  }

  // quiet: the buttons only, the status line is left as it is
  function refreshButtons(quiet) {
    var n = 0;
    dirty.forEach(function (c) { n += Object.keys(c).length; });
    var save = document.getElementById("grid-save");
    var discard = document.getElementById("grid-discard");
    var undo = document.getElementById("grid-undo");
    if (save) { save.disabled = n === 0; }
    if (discard) { discard.disabled = n === 0; }
    if (undo) { undo.disabled = !undoToken; }
    if (n && !quiet && !(statusEl.className.indexOf("is-error") >= 0 && clientErrors().length)) {
      setStatus(T("有 %(n)s 处修改尚未保存", {n: n}), "dirty");
    }
  }

  // Errors found here before sending (a text too long): [message]
  function clientErrors() {
    var out = [];
    dirty.forEach(function (changes, key) {
      var row = table && table.getRow(key);
      if (!row) { return; }
      Object.keys(changes).forEach(function (field) {
        var col = byField[field];
        var message = col ? tooLong(row, col, changes[field]) : null;
        if (message) {
          var errs = errors.get(key) || {};
          errs[field] = message;
          errors.set(key, errs);
          out.push(message);
        }
      });
    });
    return out;
  }

  // ------------------------------------------------------------------ cells

  function formatter(cell) {
    var col = byField[cell.getField()];
    var data = cell.getRow().getData();
    var el = cell.getElement();
    var errs = errors.get(data._key) || {};
    var changes = dirty.get(data._key) || {};
    var message = errs[col.field];
    el.classList.toggle("grid-cell-invalid", !!message);
    el.classList.toggle("grid-cell-dirty", Object.prototype.hasOwnProperty.call(changes, col.field));
    el.classList.toggle("grid-cell-readonly", !cellEditable(cell));
    var value = cell.getValue();
    var text = col.kind === "bool" ? "" : display(col, value, data);
    // the message of an error, else the whole text (the cell may show it cut, with "…")
    if (message || text) { el.setAttribute("title", message || text); }
    else { el.removeAttribute("title"); }
    if (col.kind === "bool") {
      return value === true ? '<i class="fa fa-check"></i>' : (value === false ? "" : escapeHtml(value));
    }
    return escapeHtml(text);
  }

  function rowFormatter(row) {
    var data = row.getData();
    var errs = errors.get(data._key) || {};
    var el = row.getElement();
    el.classList.toggle("grid-row-invalid", !!errs._row);
    el.classList.toggle("grid-row-new", isNewRow(data));
    // a row with a deadline (tasks, findings): overdue red, due soon amber (office/rows.css)
    el.classList.toggle("office-row-overdue", data._state === "overdue");
    el.classList.toggle("office-row-due_soon", data._state === "due_soon");
    if (errs._row) { el.setAttribute("title", errs._row); } else { el.removeAttribute("title"); }
  }

  function fetchOptions(field, term, current, forFilter) {
    var url = cfg.urls.options.replace("__field__", encodeURIComponent(field));
    var qs = new URLSearchParams();
    if (term) { qs.set("q", term); }
    if (current) { qs.set("id", current); }
    if (forFilter) { qs.set("for", "filter"); }
    return fetch(url + "?" + qs.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        items.forEach(function (it) { remember(field, it.value, it.label); });
        return items;
      });
  }

  function rangeFilterEditor(cell, onRendered, success) {
    var col = byField[cell.getColumn().getField()];
    var type = col.kind === "date" ? "date" : "number";
    var box = document.createElement("span");
    box.className = "grid-range-filter";
    var lo = document.createElement("input");
    var hi = document.createElement("input");
    [lo, hi].forEach(function (input, i) {
      input.type = type === "date" ? "text" : type;
      input.placeholder = i ? T("至") : T("从");
      if (type === "date") { input.title = T("日期，如 2020-06-30"); }
      input.setAttribute("aria-label", col.title + (i ? T(" 不大于") : T(" 不小于")));
      input.addEventListener("change", function () { success({min: lo.value, max: hi.value}); });
      input.addEventListener("keydown", function (e) { e.stopPropagation(); });
      box.appendChild(input);
    });
    return box;
  }

  function columnDef(col) {
    var def = {
      title: col.title, field: col.field, formatter: formatter, headerSort: col.sortable,
      editable: cellEditable, minWidth: 80, maxInitialWidth: WIDTH_CAP, headerTooltip: col.title,
      mutatorClipboard: function (value) { return fromText(col, value); },
      accessorClipboard: function (value, data) { return display(col, value, data); },
    };
    var validators = [];
    if (!col.nullable && col.kind !== "bool") { validators.push("required"); }
    // a too-long text is not refused by the editor (a maxlength would cut it silently): it is
    // kept, marked and said with its row and column (tooLong), and never sent
    if (col.kind === "int") { validators.push("integer"); }
    if (col.kind === "decimal" || col.kind === "float") { validators.push("numeric"); }
    if (validators.length) { def.validator = validators; }

    switch (col.kind) {
      case "text":
        def.editor = "textarea"; def.width = 220; break;
      case "int":
        def.editor = "number"; def.editorParams = {step: 1}; def.hozAlign = "right"; break;
      case "decimal":
      case "float":
        def.editor = "number"; def.editorParams = {step: "any"}; def.hozAlign = "right"; break;
      case "date":
        def.editor = "date"; break;
      case "bool":
        def.editor = "tickCross"; def.hozAlign = "center";
        def.editorParams = {tristate: false}; break;
      case "enum":
        var values = {};
        col.choices.forEach(function (ch) { values[ch.value] = ch.label; });
        def.editor = "list";
        def.editorParams = {values: values, autocomplete: true, allowEmpty: col.nullable,
                            clearable: col.nullable, listOnEmpty: true, emptyValue: null};
        break;
      case "relation":
        def.editor = "list";
        def.editorParams = {
          valuesLookup: function (cell, term) {
            return fetchOptions(col.field, term, cell.getValue(), false);
          },
          autocomplete: true, filterRemote: true, filterDelay: 250, listOnEmpty: true,
          allowEmpty: col.nullable, clearable: col.nullable, emptyValue: null,
          placeholderLoading: T("加载中…"), placeholderEmpty: T("无匹配项"),
        };
        def.width = 160;
        break;
      case "other":
        def.editable = false; break;
      default:
        def.editor = "input";
    }
    if (col.kind === "string" || col.kind === "text") { def.minWidth = 120; }

    if (col.filterable) {
      if (col.kind === "enum") {
        var fvalues = {};
        col.choices.forEach(function (ch) { fvalues[ch.value] = ch.label; });
        def.headerFilter = "list";
        def.headerFilterParams = {values: fvalues, clearable: true};
      } else if (col.kind === "relation") {
        def.headerFilter = "list";
        def.headerFilterParams = {
          valuesLookup: function (cell, term) { return fetchOptions(col.field, term, null, true); },
          autocomplete: true, filterRemote: true, filterDelay: 250, clearable: true,
          listOnEmpty: true,
        };
      } else if (col.kind === "int" || col.kind === "decimal" || col.kind === "float" || col.kind === "date") {
        def.headerFilter = rangeFilterEditor;
      } else if (col.kind === "bool") {
        def.headerFilter = "list";
        def.headerFilterParams = {values: {"1": "是", "0": "否"}, clearable: true};
      } else if (col.kind === "string" || col.kind === "text") {
        def.headerFilter = "input";
      }
    }
    return def;
  }

  // ------------------------------------------------------------------ data

  function querySignature(params) {
    var qs = new URLSearchParams();
    (params.sort || []).slice(0, 1).forEach(function (s) {
      qs.set("sort", s.field); qs.set("dir", s.dir);
    });
    (params.filter || []).forEach(function (f) {
      var v = f.value;
      if (v === null || v === undefined || v === "") { return; }
      if (typeof v === "object") {
        if (v.min !== undefined && v.min !== "") { qs.set("f_" + f.field + "_min", v.min); }
        if (v.max !== undefined && v.max !== "") { qs.set("f_" + f.field + "_max", v.max); }
      } else {
        qs.set("f_" + f.field, v);
      }
    });
    if (searchTerm) { qs.set("q", searchTerm); }
    qs.set("size", params.size);
    return qs;
  }

  // 共 N 条 (kit/grid/count.py): asked once per query (filters, search, page size), after
  // its first page is drawn; the page requests themselves never count
  var counts = {};
  function countRows(sig) {
    if (counts[sig] !== undefined || !cfg.urls.count) { showCount(counts[sig]); return; }
    counts[sig] = null;
    fetch(cfg.urls.count + "?" + sig, {credentials: "same-origin",
                                       headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        counts[sig] = body;
        if (lastPage.sig !== sig) { return; }
        showCount(body);
        if (body && body.pages) { table.setMaxPage(Math.max(body.pages, lastPage.page)); }
      })
      .catch(function () { counts[sig] = undefined; });
  }

  function showCount(body) {
    var el = document.getElementById("grid-count");
    if (el) { el.textContent = body ? body.text : ""; }
  }

  function requestData(url, config, params) {
    if (dirty.size && !window.confirm(T("有尚未保存的修改，翻页或刷新将放弃这些修改。继续吗？"))) {
      return Promise.reject(new Error("cancelled"));
    }
    dirty.clear(); stored.clear(); errors.clear(); history.clear(); refreshButtons();
    lastParams = params;
    var qs = querySignature(params);
    var sig = qs.toString();
    qs.set("page", params.page);
    // another page of the same query: hand the server the page shown and the keys of its
    // last and first rows, so it seeks from there (keyset) instead of counting rows from the
    // top; the server falls back to OFFSET when that is shorter or the sort has no keyset
    if (lastPage.sig === sig && params.page !== 1 && params.page !== lastPage.page &&
        (lastPage.cursor || lastPage.first)) {
      qs.set("from", lastPage.page);
      if (lastPage.cursor) { qs.set("after", JSON.stringify(lastPage.cursor)); }
      if (lastPage.first) { qs.set("before", JSON.stringify(lastPage.first)); }
    }
    return fetch(url + "?" + qs.toString(), {credentials: "same-origin",
                                             headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.message || ("HTTP " + r.status)); }
          return body;
        });
      })
      .then(function (body) {
        lastPage = {sig: sig, page: params.page, cursor: body.cursor,
                    first: body.first};
        countRows(sig);
        var known = counts[sig] && counts[sig].pages;
        body.data.forEach(function (row) {
          Object.keys(row._labels || {}).forEach(function (f) { remember(f, row[f], row._labels[f]); });
        });
        setStatus(body.data.length ? "" : T("没有符合条件的记录"));
        return {last_page: known ? Math.max(known, body.last_page) : body.last_page,
                data: body.data};
      })
      .catch(function (err) {
        if (err.message !== "cancelled") { setStatus(T("加载失败：") + err.message, "error"); }
        throw err;
      });
  }

  // ------------------------------------------------------------------ paste

  // Excel and WPS put tab-separated text on the clipboard (cells with tabs/newlines quoted).
  function parseTsv(text) {
    var rows = [], row = [], cell = "", i = 0, quoted = false;
    text = text.replace(/\r\n?/g, "\n");
    while (i < text.length) {
      var ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        if (ch === '"') { quoted = false; i++; continue; }
        cell += ch; i++; continue;
      }
      if (ch === '"' && cell === "") { quoted = true; i++; continue; }
      if (ch === "\t") { row.push(cell); cell = ""; i++; continue; }
      if (ch === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; i++; continue; }
      cell += ch; i++;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    return rows;
  }

  function pasteParser(clipboard) {
    var range = this.table.modules.selectRange && this.table.modules.selectRange.activeRange;
    if (!range || !clipboard) { return false; }
    var bounds = range.getBounds();
    if (!bounds.start) { return false; }
    var visible = this.table.columnManager.getVisibleColumnsByIndex();
    var startCol = visible.indexOf(bounds.start.column);
    if (startCol < 0) { return false; }
    var grid = parseTsv(clipboard);
    if (!grid.length) { return false; }
    var single = bounds.start === bounds.end;
    var width = single ? grid[0].length : visible.indexOf(bounds.end.column) - startCol + 1;
    var targets = visible.slice(startCol, startCol + width);
    return grid.map(function (cells) {
      var out = {};
      targets.forEach(function (column, i) {
        if (column.field) { out[column.field] = cells[i % cells.length]; }
      });
      return out;
    });
  }

  // Like Tabulator's "range" action, but rows beyond the last become new rows, and every
  // cell goes through setValue (so it is tracked as a change) when the user may edit it.
  function pasteAction(data) {
    var table = this.table;
    var range = table.modules.selectRange.activeRange;
    var bounds = range.getBounds();
    var rows = table.rowManager.activeRows.slice();
    var start = rows.indexOf(bounds.start.row);
    if (start < 0) { return []; }
    var single = bounds.start === bounds.end;
    var height = single ? data.length : Math.max(data.length, rows.indexOf(bounds.end.row) - start + 1);
    var updated = [], adds = [], skipped = 0, added = 0;
    history.begin();  // the whole paste, new rows included, is one Ctrl+Z
    table.blockRedraw();
    for (var i = 0; i < height; i++) {
      var values = data[i % data.length];
      var row = rows[start + i];
      if (row) {
        var comp = row.getComponent();
        Object.keys(values).forEach(function (field) {
          var cell = comp.getCell(field);
          if (cell && cellEditable(cell)) { cell.setValue(values[field]); } else { skipped++; }
        });
        updated.push(comp);
      } else if (cfg.canAdd) {
        var fresh = {_key: "new-" + (++newSeq), id: null, _labels: {}};
        var insertable = {};
        Object.keys(values).forEach(function (field) {
          var col = byField[field];
          if (col && col.canInsert) { fresh[field] = values[field]; insertable[field] = values[field]; }
          else { skipped++; }
        });
        added++;
        adds.push({fresh: fresh, values: insertable});
      }
    }
    table.restoreRedraw();
    var pending = adds.map(function (t) { return addRow(t.fresh, t.values, false); });
    Promise.all(pending).then(function () {
      history.end();
      var problems = clientErrors();
      if (problems.length) {
        table.getRows().forEach(function (r) { r.reformat(); });
        setStatus(problems.slice(0, 3).join("；"), "error");
        return;
      }
      var msg = "已粘贴 " + height + " 行";
      if (added) { msg += "（其中新增 " + added + " 行）"; }
      if (skipped) { msg += "，" + skipped + " 个单元格不可修改已跳过"; }
      setStatus(msg + "，尚未保存", "dirty");
    });
    // row components only: Tabulator hands them on to its clipboardPasted event (asking a
    // plain object's property of a component logs "does not have a … function")
    return updated;
  }

  // A new row (pasted beyond the last one, 新增行, or an undone removal brought back).
  function addRow(fresh, values, top) {
    history.record({type: "add", key: fresh._key, data: fresh, values: values});
    return table.addRow(fresh, top).then(function (rowComp) {
      Object.keys(values).forEach(function (f) { markDirty(rowComp, f, values[f]); });
      rowComp.reformat();
      return rowComp;
    });
  }

  // ------------------------------------------------------------------ table

  var langs = {
    "zh-cn": {
      data: {loading: T("加载中…"), error: T("加载失败")},
      pagination: {
        page_size: T("每页行数"), page_title: T("显示第几页"),
        first: T("首页"), first_title: T("第一页"), last: T("末页"), last_title: T("最后一页"),
        prev: T("上一页"), prev_title: T("上一页"), next: T("下一页"), next_title: T("下一页"), all: T("全部"),
        counter: {showing: T("显示"), of: T("共"), rows: T("行"), pages: T("页")},
      },
      headerFilters: {default: T("筛选…"), columns: {}},
      groups: {item: "项", items: "项"},
    },
  };

  var editing = cfg.canEdit || cfg.canAdd;
  table = new Tabulator("#office-grid", {
    locale: "zh-cn",
    langs: langs,
    index: "_key",
    height: "calc(100vh - 260px)",
    layout: "fitDataFill",
    placeholder: T("没有符合条件的记录"),
    columns: columns.map(columnDef),
    columnDefaults: {resizable: "header", headerFilterPlaceholder: T("筛选…")},
    rowHeader: {resizable: false, frozen: true, width: 44, hozAlign: "center",
                formatter: "rownum", cssClass: "grid-row-header", headerSort: false},
    rowFormatter: rowFormatter,
    ajaxURL: cfg.urls.data,
    ajaxRequestFunc: requestData,
    pagination: true,
    paginationMode: "remote",
    paginationSize: cfg.pageSize,
    paginationSizeSelector: [25, 50, 100, 200],
    paginationButtonCount: 5,
    sortMode: "remote",
    filterMode: "remote",
    initialSort: cfg.sort && cfg.sort[0] !== "id" && byField[cfg.sort[0]] ?
      [{column: cfg.sort[0], dir: cfg.sort[1]}] : [],
    selectableRange: 1,
    selectableRangeColumns: true,
    selectableRangeRows: true,
    selectableRangeClearCells: editing,
    selectableRangeClearCellsValue: null,
    editTriggerEvent: "dblclick",
    validationMode: "highlight",
    clipboard: true,
    clipboardCopyStyled: false,
    clipboardCopyConfig: {rowHeaders: false, columnHeaders: false},
    clipboardCopyRowRange: "range",
    clipboardPasteParser: editing ? pasteParser : function () { return false; },
    clipboardPasteAction: pasteAction,
  });
  window.officeGrid = table; // for the browser tests and the curious

  // Mark the cell only: re-rendering the row here would pull it from under the editor that
  // Tab/Enter navigation opens next.
  table.on("cellEdited", function (cell) {
    var row = cell.getRow();
    var key = row.getData()._key;
    var field = cell.getField();
    var before = isNewRow(row.getData()) ? undefined : cell.getOldValue();
    history.record({type: "cell", key: key, field: field, before: cell.getOldValue(),
                    after: cell.getValue()});
    var message = markDirty(row, field, cell.getValue(), before);
    var el = cell.getElement();
    var col = byField[field];
    var text = col ? display(col, cell.getValue(), row.getData()) : "";
    el.classList.toggle("grid-cell-dirty", isDirty(key, field));
    el.classList.toggle("grid-cell-invalid", !!message);
    if (message || text) { el.setAttribute("title", message || text); }
    else { el.removeAttribute("title"); }
    if (!(errors.get(key) || {})._row) {
      var rowEl = row.getElement();
      if (rowEl) { rowEl.classList.remove("grid-row-invalid"); rowEl.removeAttribute("title"); }
    }
  });

  // ------------------------------------------------------------------ unsaved undo / redo

  // Put back (undo) or again (redo) the changes of one history step (history.js).
  function replay(changes, direction) {
    var undoing = direction === "undo";
    changes.forEach(function (ch) {
      if (ch.type === "add") {
        if (undoing) {
          var gone = table.getRow(ch.key);
          if (gone) { gone.delete(); }
          dirty.delete(ch.key); stored.delete(ch.key); errors.delete(ch.key);
        } else {
          addRow(Object.assign({}, ch.data), ch.values, false);
        }
        return;
      }
      var row = table.getRow(ch.key);
      var cell = row && row.getCell(ch.field);
      if (cell) { cell.setValue(undoing ? ch.before : ch.after); }  // cellEdited marks it
    });
    refreshButtons();
  }

  function undoEdit() {
    if (table.modules.edit && table.modules.edit.currentCell) { return; }
    var step = history.undo();
    if (!step) { setStatus(T("没有可撤销的未保存修改")); return; }
    setStatus(T("已撤销 %(n)s 处修改（Ctrl+Y 恢复）", {n: step.changes.length}) +
              (dirty.size ? T("，尚有修改未保存") : ""), "dirty");
  }

  function redoEdit() {
    if (table.modules.edit && table.modules.edit.currentCell) { return; }
    var step = history.redo();
    if (!step) { setStatus(T("没有可恢复的修改")); return; }
    setStatus(T("已恢复 %(n)s 处修改，尚未保存", {n: step.changes.length}), "dirty");
  }

  window.OfficeGrid.bindKeys(table, {
    editable: cellEditable,
    column: function (cell) { return byField[cell.getField()]; },
    undo: undoEdit,
    redo: redoEdit,
  });

  // ------------------------------------------------------------------ save / undo

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrfToken},
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {message: "HTTP " + r.status}; })
        .then(function (b) { return {status: r.status, ok: r.ok, body: b}; });
    });
  }

  function applyRows(rowsByKey) {
    Object.keys(rowsByKey || {}).forEach(function (key) {
      var data = rowsByKey[key];
      var row = table.getRow(key) || table.getRow(data._key);
      Object.keys(data._labels || {}).forEach(function (f) { remember(f, data[f], data._labels[f]); });
      dirty.delete(key); stored.delete(key); errors.delete(key);
      if (row) { row.update(data); row.reformat(); }
    });
  }

  function showErrors(errs) {
    errors.clear();
    Object.keys(errs || {}).forEach(function (key) { errors.set(key, errs[key]); });
    table.getRows().forEach(function (row) { row.reformat(); });
    var first = Object.keys(errs || {})[0];
    if (first) {
      var row = table.getRow(first);
      if (row) { row.scrollTo().catch(function () {}); }
    }
  }

  // "「幸福花园A」户数：不是有效的整数。" for the first few errors (all are on the cells).
  function describe(errs) {
    var parts = [];
    Object.keys(errs).forEach(function (key) {
      var row = table.getRow(key);
      var data = row ? row.getData() : {};
      var name = data.name || (row ? "第 " + row.getPosition() + " 行" : key);
      Object.keys(errs[key]).forEach(function (field) {
        var label = (byField[field] || {}).title || field;
        var message = errs[key][field];
        if (message.indexOf("「" + label + "」") >= 0) { parts.push(message); return; }
        var title = field === "_row" ? "" : label + "：";
        parts.push("「" + name + "」" + title + message);
      });
    });
    return parts.slice(0, 3).join("；") + (parts.length > 3 ? "；…（共 " + parts.length + " 处）" : "");
  }

  function save() {
    if (!dirty.size) { return Promise.resolve(); }
    var problems = clientErrors();
    if (problems.length) {  // said before sending, in the server's words; nothing is sent
      table.getRows().forEach(function (row) { row.reformat(); });
      setStatus("有错误，未保存：" + problems.slice(0, 3).join("；") +
                (problems.length > 3 ? "；…（共 " + problems.length + " 处）" : ""), "error");
      return Promise.resolve();
    }
    var batch = [];
    dirty.forEach(function (values, key) {
      var row = table.getRow(key);
      if (!row) { return; }
      var data = row.getData();
      batch.push({key: key, id: data.id || null, version: data._version, row: row.getPosition(),
                  values: values});
    });
    setStatus(T("正在保存…"));
    return postJson(cfg.urls.save, {rows: batch}).then(function (res) {
      if (res.ok) {
        applyRows(res.body.rows);
        undoToken = res.body.undo || null;
        errors.clear();
        history.clear();  // what was saved is undone on the server now (撤销上次保存)
        refreshButtons();
        setStatus(res.body.message || T("已保存"), "ok");
      } else if (res.body.errors) {
        showErrors(res.body.errors);
        refreshButtons();
        setStatus((res.body.message || "有错误，未保存") + "：" + describe(res.body.errors), "error");
      } else if (res.status === 404) {
        setStatus(T("有记录不存在或不在您的管辖范围内，本次修改未保存"), "error");
      } else {
        setStatus(res.body.message || ("保存失败（HTTP " + res.status + "）"), "error");
      }
    }).catch(function (err) { setStatus(T("保存失败：") + err.message, "error"); });
  }

  function undo() {
    if (!undoToken) { return; }
    if (dirty.size && !window.confirm(T("撤销上次保存会先放弃尚未保存的修改。继续吗？"))) { return; }
    setStatus(T("正在撤销…"));
    postJson(cfg.urls.undo, {token: undoToken}).then(function (res) {
      if (res.ok) {
        undoToken = null;
        dirty.clear(); stored.clear(); errors.clear(); history.clear();
        applyRows(res.body.rows);
        (res.body.removed || []).forEach(function (key) {
          var row = table.getRow(key);
          if (row) { row.delete(); }
        });
        refreshButtons();
        setStatus(res.body.message || T("已撤销"), "ok");
      } else {
        if (res.body.errors) { showErrors(res.body.errors); }
        setStatus(res.body.message || ("撤销失败（HTTP " + res.status + "）"), "error");
      }
    });
  }

  function discard() {
    dirty.clear(); stored.clear(); errors.clear(); history.clear(); lastPage.sig = null;
    table.replaceData();
    refreshButtons();
    setStatus(T("已放弃未保存的修改"));
  }

  // ------------------------------------------------------------------ toolbar

  function bind(id, event, fn) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener(event, fn); }
    return el;
  }

  bind("grid-save", "click", save);
  bind("grid-undo", "click", undo);
  bind("grid-discard", "click", discard);
  bind("grid-reload", "click", function () { lastPage.sig = null; table.replaceData(); });
  bind("grid-add-row", "click", function () {
    addRow({_key: "new-" + (++newSeq), id: null, _labels: {}}, {}, true).then(function (row) {
      row.scrollTo().catch(function () {});
      setStatus(T("已新增一行，填写后保存"), "dirty");
    });
  });

  // 导出: the xlsx export of the rows as the grid shows them (its filters, search and sort,
  // every page; what is saved - unsaved edits are not in it), through the screen's own export
  bind("grid-export", "click", function () {
    if (!cfg.urls.export) { return; }
    var qs = querySignature(lastParams || {sort: table.getSorters(), filter: [], size: 1});
    qs.delete("size");
    qs.set("grid", "1");
    var link = document.createElement("a");
    link.href = cfg.urls.export + "?" + qs.toString();
    link.setAttribute("download", "");
    document.body.appendChild(link);
    link.click();
    link.remove();
    setStatus(dirty.size ? T("正在导出（导出的是已保存的数据，不含尚未保存的修改）") : T("正在导出…"));
  });

  var search = document.getElementById("grid-search");
  function runSearch() {
    searchTerm = search.value.trim();
    lastPage.sig = null;
    table.setPage(1).then(function () {}, function () {});
    table.replaceData();
  }
  if (search) {
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") { runSearch(); } });
    bind("grid-search-go", "click", runSearch);
  }

  // Bulk set: one column, one value, every row of the selected range.
  var bulkField = document.getElementById("grid-bulk-field");
  var bulkValue = document.getElementById("grid-bulk-value");
  if (bulkField) {
    columns.filter(function (c) { return (c.canUpdate && cfg.canEdit) || (c.canInsert && cfg.canAdd); })
      .forEach(function (c) {
        var opt = document.createElement("option");
        opt.value = c.field; opt.textContent = c.title;
        bulkField.appendChild(opt);
      });
    var fillChoices = function () {
      var col = byField[bulkField.value];
      var list = document.getElementById("grid-bulk-choices");
      list.innerHTML = "";
      var items = [];
      if (col && col.kind === "enum") { items = col.choices.map(function (c) { return c.label; }); }
      if (col && col.kind === "bool") { items = ["是", "否"]; }
      if (col && col.kind === "relation") {
        items = Object.keys(labels[col.field] || {}).map(function (k) { return labels[col.field][k]; });
      }
      items.forEach(function (label) {
        var o = document.createElement("option"); o.value = label; list.appendChild(o);
      });
    };
    bulkField.addEventListener("change", fillChoices);
    fillChoices();
    table.on("rangeChanged", function (range) {
      var cols = range.getColumns();
      if (cols.length === 1 && byField[cols[0].getField()]) {
        var f = cols[0].getField();
        if (Array.prototype.some.call(bulkField.options, function (o) { return o.value === f; })) {
          bulkField.value = f; fillChoices();
        }
      }
    });
    bind("grid-bulk-apply", "click", function () {
      var col = byField[bulkField.value];
      var ranges = table.getRanges();
      if (!col || !ranges.length) { setStatus(T("请先在表格中选中要设置的行"), "error"); return; }
      var value = fromText(col, bulkValue.value);
      var n = 0, skipped = 0;
      ranges.forEach(function (range) {
        range.getRows().forEach(function (row) {
          var cell = row.getCell(col.field);
          if (cell && cellEditable(cell)) { cell.setValue(value); n++; } else { skipped++; }
        });
      });
      setStatus("已将 " + n + " 行的“" + col.title + "”设为“" + bulkValue.value + "”" +
                (skipped ? "（" + skipped + " 行不可修改）" : "") + "，尚未保存", "dirty");
    });
  }

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty.size) { e.preventDefault(); e.returnValue = ""; }
  });

  refreshButtons();
})();
