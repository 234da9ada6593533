/* 复制地址: a button with data-copy="<id>" copies that field's value to the clipboard, and the element with
   data-copy-status="<id>" says so (data-copied), or that it could not (data-copy-failed: the field is then
   selected, ready for a manual copy). Without the clipboard API (a page served over http) the selected field is
   copied with execCommand. */
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    if (!field) {
      return;
    }
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    function say(copied) {
      if (status) {
        status.textContent = button.getAttribute(copied ? "data-copied" : "data-copy-failed");
      }
    }
    function selectAndCopy() {
      field.focus();
      field.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      say(copied);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { say(true); }, selectAndCopy);
    } else {
      selectAndCopy();
    }
  });
})();
