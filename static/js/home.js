// The facilitator's home: create a session through the API, then go straight to its console.

import { api } from './api.js';

const form = document.getElementById('new-session');

if (form) {
  const plan = form.elements.plan;
  const groups = form.elements.groups;
  const error = document.getElementById('new-error');
  const button = form.querySelector('button[type="submit"]');
  let planGroups = groups.value;

  // A plan brings its own groups; keep what the facilitator typed, replace only the untouched default.
  plan.addEventListener('change', () => {
    const next = plan.selectedOptions[0].dataset.groups || '';
    if (groups.value.trim() === planGroups.trim()) groups.value = next;
    planGroups = next;
  });

  const fail = (message, field) => {
    error.textContent = message;
    error.hidden = false;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    const title = form.elements.title.value.trim();
    if (!title) {
      fail('Give the session a title.', form.elements.title);
      return;
    }
    const body = { title, plan: plan.value };
    const service = form.elements.service.value.trim();
    if (service) body.service = service;
    const names = groups.value.split(',').map((name) => name.trim()).filter(Boolean);
    if (names.length) body.groups = names;
    button.disabled = true;
    button.textContent = 'Creating…';
    try {
      const created = await api('POST', '/api/sessions', body);
      // The URL may carry the public address phones use; the facilitator stays on this origin.
      window.location.assign(new URL(created.facilitate_url, window.location.href).pathname);
    } catch (problem) {
      fail(problem.message);
      button.disabled = false;
      button.textContent = 'Create session';
    }
  });
}
