// The navigation drawer and the page contents on narrow screens.
// pydata-sphinx-theme 0.17 binds its drawer to the first .primary-toggle (and
// .secondary-toggle) of a page, a button hidden in its own header, while
// sphinx-book-theme 1.3 shows readers another one, bound to nothing
// (pydata/pydata-sphinx-theme#2451).  A click on a visible button is passed on
// to the bound one, which opens the drawer below 992 px and folds the sidebar above.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary", "secondary"]) {
    const [bound, ...others] = document.querySelectorAll(`.${kind}-toggle`);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  }
});
