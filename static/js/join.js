// The join form. A phone already in a session (it holds a token for it) is not dropped out by Back:
// coming back to this form through history returns to the session; opening it afresh offers a link.

import { storage } from './outbox.js';

const RECENT = 12 * 60 * 60 * 1000; // a workshop's day: older sessions are not offered

function heldSession() {
  const last = storage('workshop:last-session', null).load();
  if (!last || typeof last.code !== 'string' || !/^[A-Z0-9]+$/.test(last.code)) return null;
  if (Date.now() - Number(last.at || 0) > RECENT) return null;
  return storage(`workshop:${last.code}:token`, null).load() ? last.code : null;
}

function cameBack(event) {
  if (event && event.persisted) return true; // restored from the back-forward cache
  const [entry] = performance.getEntriesByType('navigation');
  return Boolean(entry && entry.type === 'back_forward');
}

function offer(code) {
  const link = document.getElementById('return-link');
  link.href = `/j/${code}`;
  link.textContent = `Back to session ${code}`;
  document.getElementById('return-to').hidden = false;
}

function check(event) {
  const code = heldSession();
  if (!code) return;
  if (cameBack(event) && !document.querySelector('[data-error]')) {
    location.replace(`/j/${code}`);
    return;
  }
  offer(code);
}

window.addEventListener('pageshow', check);
