// A question's countdown as every screen shows it: the server stores the deadline (`closes_at`, UTC)
// and closes the question itself when it passes; pages only count down to it, once a second.

/** Whole seconds until `closesAt` (0 once passed), or null when there is no countdown. */
export function secondsLeft(closesAt, now = Date.now()) {
  if (!closesAt) return null;
  const deadline = Date.parse(closesAt);
  if (Number.isNaN(deadline)) return null;
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** "1:05", "0:09". */
export function clockText(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

/** "Closes in 0:42", or "Closing…" at zero (the server's close is on its way). */
export function countdownText(closesAt) {
  const left = secondsLeft(closesAt);
  if (left === null) return '';
  return left > 0 ? `Closes in ${clockText(left)}` : 'Closing…';
}

const listeners = new Set();
let ticker = null;

/** Call `refresh` once a second while anything listens; returns a function that stops it. */
export function everySecond(refresh) {
  listeners.add(refresh);
  if (ticker === null) ticker = setInterval(() => listeners.forEach((listener) => listener()), 1000);
  return () => {
    listeners.delete(refresh);
    if (!listeners.size) {
      clearInterval(ticker);
      ticker = null;
    }
  };
}
