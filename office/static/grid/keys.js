/* Spreadsheet mode: Excel's keyboard habits on the Tabulator grid (grid.js).
 *
 * On a selected cell (not editing):
 *   a printable character   starts editing with that character (the value is replaced);
 *   Enter or F2             edits the value as it is; Delete/Backspace clears the selection
 *                           (Tabulator's selectableRangeClearCells);
 *   Tab / Shift+Tab, arrows move (Tabulator's own key bindings).
 * While editing:
 *   Enter                   commits and moves down (Alt+Enter: a new line in a long text);
 *   Tab / Shift+Tab         commit and move right / left;
 *   Escape                  cancels (the editor's own).
 * Anywhere on the page but in a text field: Ctrl+Z undoes, Ctrl+Y and Ctrl+Shift+Z redo the
 * unsaved edits (history.js).
 *
 * Uses two internals of the pinned Tabulator (6.5.3), as pasteAction in grid.js does:
 * table.modules.edit.currentCell (the cell being edited) and table.modules.selectRange
 * (getActiveCell, navigate) - the module's own keyboard navigation, which has no public API.
 */
(function () {
  "use strict";

  window.OfficeGrid = window.OfficeGrid || {};

  window.OfficeGrid.bindKeys = function (table, opts) {
    var synthetic = false;  // our own Enter, sent to an editor to make it commit

    function editingCell() {
      var edit = table.modules.edit;
      return edit && edit.currentCell ? edit.currentCell : null;
    }

    function activeCell() {
      var ranges = table.modules.selectRange;
      var cell = ranges && ranges.getActiveCell ? ranges.getActiveCell() : null;
      return cell && cell.column && cell.column.field ? cell.getComponent() : null;
    }

    function move(direction) {
      var ranges = table.modules.selectRange;
      if (ranges && !editingCell()) {
        ranges.navigate(false, false, direction);
        table.rowManager.element.focus({preventScroll: true});
      }
    }

    function editorOf(cell) {
      return cell.getElement().querySelector("textarea, input:not([type=checkbox]), select");
    }

    // Make the open editor commit, as its own Enter would (a textarea commits on blur).
    function commit(cell) {
      var el = editorOf(cell);
      if (!el) { return; }
      if (el.tagName === "TEXTAREA") { el.blur(); return; }
      synthetic = true;
      try {
        el.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: false,
                                                       cancelable: true}));
      } finally { synthetic = false; }
    }

    // After the editor has finished with this key (it commits on Enter), move on.
    function thenMove(direction) {
      setTimeout(function () { if (!editingCell()) { move(direction); } }, 0);
    }

    function startEditing(cell, text) {
      cell.edit(true);
      if (text === null) { return; }
      var el = editorOf(cell);
      if (!el || el.tagName === "SELECT") { return; }
      el.value = text;
      if (el.type !== "number") {
        el.setSelectionRange(el.value.length, el.value.length);
      }
      // a dropdown's search list follows what is typed
      el.dispatchEvent(new KeyboardEvent("keyup", {key: text, bubbles: false}));
    }

    function printable(e) {
      return e.key && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey;
    }

    function onKeyDown(e) {
      if (synthetic || e.isComposing) { return; }
      var editing = editingCell();
      if (editing) {
        var el = editorOf(editing);
        if (e.key === "Tab") {
          e.preventDefault();
          e.stopPropagation();
          commit(editing);
          if (!editingCell()) { move(e.shiftKey ? "left" : "right"); }
        } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
          if (el && el.tagName === "TEXTAREA") {
            e.preventDefault();
            e.stopPropagation();
            if (e.altKey) {  // Excel's new line within a cell
              el.setRangeText("\n", el.selectionStart, el.selectionEnd, "end");
              return;
            }
            commit(editing);
            if (!editingCell()) { move("down"); }
          } else {
            thenMove("down");  // the editor commits on Enter itself
          }
        }
        return;
      }
      var t = e.target;
      if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName) || t.closest(".tabulator-header") ||
          t.closest(".tabulator-footer")) {
        return;  // a header filter, the pager
      }
      var cell = activeCell();
      if (!cell || !opts.editable(cell)) { return; }
      var col = opts.column(cell);
      if (!col || col.kind === "bool" || col.kind === "other") { return; }
      if (printable(e)) {
        e.preventDefault();
        e.stopPropagation();
        startEditing(cell, e.key);
      } else if (e.key === "F2") {
        e.preventDefault();
        e.stopPropagation();
        startEditing(cell, null);
      } else if (e.key === "Process" || e.keyCode === 229) {
        // an input method (拼音 …) begins: open the editor empty and let it receive the text
        startEditing(cell, "");
      }
    }

    table.element.addEventListener("keydown", onKeyDown, true);

    document.addEventListener("keydown", function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) { return; }
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) {
        return;  // a text field's own undo
      }
      var key = (e.key || "").toLowerCase();
      if (key === "z" && !e.shiftKey) {
        e.preventDefault(); e.stopPropagation(); opts.undo();
      } else if (key === "y" || (key === "z" && e.shiftKey)) {
        e.preventDefault(); e.stopPropagation(); opts.redo();
      }
    }, true);
  };
})();
