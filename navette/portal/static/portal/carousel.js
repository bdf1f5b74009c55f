/* Carousels: without JavaScript a carousel is a list that scrolls sideways inside itself
   (it takes the keyboard focus, so the arrow keys scroll it). Here, its "previous" and
   "next" buttons are shown, while it has more than fits, and scroll it by most of its
   width. */
(function () {
  var carousels = document.querySelectorAll("[data-carousel]");
  Array.prototype.forEach.call(carousels, function (carousel) {
    var track = carousel.querySelector(".carousel-track");
    var buttons = carousel.querySelector(".carousel-buttons");
    if (!track || !buttons) {
      return;
    }
    function step(direction) {
      var distance = Math.max(track.clientWidth * 0.8, 100) * direction;
      if (track.scrollBy) {
        track.scrollBy({ left: distance, behavior: "smooth" });
      } else {
        track.scrollLeft += distance;
      }
    }
    buttons.querySelector("[data-carousel-prev]").addEventListener("click", function () { step(-1); });
    buttons.querySelector("[data-carousel-next]").addEventListener("click", function () { step(1); });
    function fit() {
      buttons.hidden = track.scrollWidth <= track.clientWidth + 1;
    }
    window.addEventListener("resize", fit);
    fit();
  });
})();
