// The printed facilitator address carries the key. Take it out of this history entry at once, then
// trade the one-time sign-in token for the cookie, so neither Back nor a reload replays the key.

const form = document.getElementById('signin');
const target = form.dataset.target || '/';
history.replaceState(null, '', target);

fetch('/login', {
  method: 'POST',
  credentials: 'same-origin',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  body: JSON.stringify({ token: form.elements.token.value }),
}).then((response) => {
  if (response.ok) location.replace(target);
  else form.querySelector('button').textContent = 'Sign-in expired: open the printed address again';
}).catch(() => {
  form.querySelector('button').textContent = 'The server could not be reached: try again';
});
