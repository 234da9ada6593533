/* The 系统管理员's organisation picker of a party role grant (accounts.sysviews.OrgPicker): Enter in its search box
   searches (htmx) instead of sending the grant form with whatever the list shows. Without script, Enter sends the
   form and the text typed is resolved on the server (a 组织编码, or a name only one organisation has). */
(function () {
  document.addEventListener("keydown", function (event) {
    var box = event.target.closest && event.target.closest("[data-org-search]");
    if (box && event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      if (window.htmx) {
        window.htmx.trigger(box, "search");
      }
    }
  });
})();
