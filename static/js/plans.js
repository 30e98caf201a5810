// The plans page: duplicate, delete and upload plans through the plans API.

import { api } from './api.js';
import { copyId, idFromFileName } from './plan-ids.js';

const MAX_PLAN_BYTES = 1024 * 1024;
const status = document.getElementById('plans-status');
const taken = new Set([...document.querySelectorAll('[data-plan]')].map((item) => item.dataset.plan));

const show = (message) => {
  status.textContent = message;
  status.hidden = false;
};

async function duplicate(button) {
  const id = button.closest('[data-plan]').dataset.plan;
  button.disabled = true;
  try {
    const created = await api('POST', '/api/plans', { id: copyId(id, taken), copy_of: id });
    window.location.assign(`/plans/${encodeURIComponent(created.id)}/edit`);
  } catch (problem) {
    show(problem.message);
    button.disabled = false;
  }
}

async function remove(button) {
  const id = button.closest('[data-plan]').dataset.plan;
  if (!window.confirm(`Delete the plan "${button.dataset.title}" (${id}.toml)? This cannot be undone.`)) return;
  button.disabled = true;
  try {
    await api('DELETE', `/api/plans/${encodeURIComponent(id)}`, {});
    window.location.reload();
  } catch (problem) {
    show(problem.message);
    button.disabled = false;
  }
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  if (button.dataset.action === 'duplicate') duplicate(button);
  if (button.dataset.action === 'delete') remove(button);
});

const form = document.getElementById('upload-plan');
const error = document.getElementById('upload-error');
const fileInput = form.elements.file;
const idInput = form.elements.id;

fileInput.addEventListener('change', () => {
  const file = fileInput.files[0];
  if (file && !idInput.value.trim()) idInput.value = idFromFileName(file.name);
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
  const file = fileInput.files[0];
  if (!file) return fail('Choose a TOML file to upload.', fileInput);
  if (file.size > MAX_PLAN_BYTES) return fail('A plan file must be at most 1 MiB.', fileInput);
  const id = idInput.value.trim();
  if (!id) return fail('Give the plan an id: it becomes its file name.', idInput);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const created = await api('POST', '/api/plans', { id, toml: await file.text() });
    window.location.assign(`/plans/${encodeURIComponent(created.id)}/edit`);
  } catch (problem) {
    fail(problem.message, problem.code === 'invalid_plan_id' || problem.code === 'plan_exists' ? idInput : fileInput);
    button.disabled = false;
  }
  return undefined;
});
