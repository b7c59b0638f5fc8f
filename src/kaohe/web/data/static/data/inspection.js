// The inspection checklist: keep the total deduction beside the ticked items up to date.
(function () {
  "use strict";
  var form = document.getElementById("checklist");
  var total = document.getElementById("total");
  if (!form || !total) { return; }
  function update() {
    var sum = 0;
    form.querySelectorAll("input[name=items]:checked").forEach(function (box) {
      sum += parseFloat(box.getAttribute("data-deduction")) || 0;
    });
    total.textContent = sum > 0 ? sum.toFixed(2) : total.getAttribute("data-none");
  }
  form.addEventListener("change", update);
  update();
})();
