/* Spreadsheet mode: the history of the edits not yet saved, for Ctrl+Z / Ctrl+Y (grid.js).
 *
 * One step is everything changed in one go: a typed cell, a paste (with the rows it added), a
 * bulk set, a Delete over a range. Changes recorded in the same task of the browser's event
 * loop form one step unless a step was opened explicitly (begin/end, for a paste whose new rows
 * arrive a little later). Saving, discarding or reloading the page of rows clears the history:
 * a saved change is undone on the server (撤销上次保存), not here.
 *
 * A change is {type: "cell", key, field, before, after} or {type: "add", key, data}; the grid
 * replays them through ``apply(changes, direction)`` while recording is switched off.
 */
(function () {
  "use strict";

  window.OfficeGrid = window.OfficeGrid || {};

  window.OfficeGrid.History = function (apply, onChange) {
    var done = [], undone = [];
    var open = null;        // the step being recorded
    var replaying = false;  // undo/redo in progress: their edits are not new steps

    function changed() { if (onChange) { onChange(); } }

    function close() {
      if (open && open.changes.length) {
        done.push(open);
        undone = [];
        changed();
      }
      open = null;
    }

    function current() {
      if (!open) {
        open = {changes: [], explicit: false};
        setTimeout(function () { if (open && !open.explicit) { close(); } }, 0);
      }
      return open;
    }

    return {
      record: function (change) {
        if (!replaying) { current().changes.push(change); }
      },
      begin: function () {
        if (open && !open.explicit) { close(); }
        if (!open) { open = {changes: [], explicit: true}; }
      },
      end: function () { close(); },
      replaying: function () { return replaying; },
      canUndo: function () { return done.length > 0 || !!(open && open.changes.length); },
      canRedo: function () { return undone.length > 0; },
      undo: function () {
        close();
        var step = done.pop();
        if (!step) { return null; }
        replaying = true;
        try { apply(step.changes.slice().reverse(), "undo"); } finally { replaying = false; }
        undone.push(step);
        changed();
        return step;
      },
      redo: function () {
        close();
        var step = undone.pop();
        if (!step) { return null; }
        replaying = true;
        try { apply(step.changes, "redo"); } finally { replaying = false; }
        done.push(step);
        changed();
        return step;
      },
      clear: function () { done = []; undone = []; open = null; changed(); },
    };
  };
})();
