/* The list page's search form (查询): a relation filter loads its choices as the user types.
 *
 * LazySelect2Widget (office/kit/grid/views.py) renders a relation filter as a <select> holding
 * only the chosen row(s), with class "office-lazy-select" and data-options-url (GET
 * <view>/grid/options/<field>?for=filter&q=…). FAB's ab_filters.js and ab.js call
 * $(…).select2({placeholder, allowClear, theme}) on it when a filter is added or shown as
 * active; this wraps $.fn.select2 so that such a call gets an AJAX source. Loaded by
 * office/base.html at the end of tail_js: after select2 and ab.js are loaded, before their
 * document-ready handlers run. Also: typing into any opened select2 reaches its search field.
 */
(function ($) {
  "use strict";
  if (!$ || !$.fn.select2 || $.fn.select2.officeLazy) { return; }
  var original = $.fn.select2;

  function lazyOptions($el, options) {
    return $.extend({}, options || {}, {
      ajax: {
        url: $el.attr("data-options-url"),
        delay: 250,
        dataType: "json",
        data: function (params) { return {q: params.term || "", "for": "filter"}; },
        processResults: function (items) {
          return {results: items.map(function (o) { return {id: String(o.value), text: o.label}; })};
        }
      },
      minimumInputLength: 0,
      allowClear: true,
      theme: "bootstrap",
      width: "100%"
    });
  }

  var wrapped = function (options) {
    if (this.is(".office-lazy-select") && (options === undefined || $.isPlainObject(options))) {
      options = lazyOptions(this, options);
      return original.call(this, options);
    }
    return original.apply(this, arguments);
  };
  $.extend(wrapped, original, {officeLazy: true});
  $.fn.select2 = wrapped;

  // select2 4.0 with jQuery >= 3.6 leaves the focus on the closed box when the list opens, so
  // what the clerk types goes nowhere: put it in the open list's search field, on every select2.
  $(document).on("select2:open", function () {
    var field = document.querySelector(".select2-container--open .select2-search__field");
    if (field) { field.focus(); }
  });
})(window.jQuery);
