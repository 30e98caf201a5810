// Keep a box's content inside the box: the projector never scrolls. Text is sized with clamp() for the
// usual screens; when a long definition or many examples still overflow, the box's `--fit` factor
// (which its font sizes multiply) steps down until everything fits, and what cannot fit at the smallest
// readable size is left for the caller to drop.

const STEP = 0.05;
const SMALLEST = 0.85; // the floor: 2% of the screen for the smallest labels (0.6em of the 3.5% body)

/** True when `box`'s content is taller or wider than the box. */
export function overflows(box) {
  return box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
}

/** Shrink `box`'s `--fit` until its content fits or `smallest` is reached; returns the factor. */
export function fitText(box, smallest = SMALLEST) {
  let factor = 1;
  box.style.setProperty('--fit', '1');
  while (overflows(box) && factor > smallest + 1e-9) {
    factor = Math.max(smallest, factor - STEP);
    box.style.setProperty('--fit', factor.toFixed(2));
  }
  return factor;
}

/**
 * Remove items from `list` (oldest first) while `box` overflows, keeping at least one; returns how
 * many were removed. For walls of examples, where the newest matter most.
 */
export function dropUntilFits(box, list) {
  let removed = 0;
  while (overflows(box) && list.children.length > 1) {
    list.firstElementChild.remove();
    removed += 1;
  }
  return removed;
}
