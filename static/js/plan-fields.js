// Form fields of the plan editor. Each control carries `data-path`, the path the server's plan checks
// name in a refusal (`steps[1].questions[0].max`), so a refused value is marked where it was typed.

import { h } from './dom.js';

let counter = 0;
const nextId = () => `plan-field-${(counter += 1)}`;

/** Set `key` of `target` to `value`, or remove the key when the value is empty and `optional`. */
export function assign(target, key, value, optional = true) {
  const empty = value === '' || (Array.isArray(value) && value.length === 0);
  if (empty && optional) delete target[key];
  else target[key] = value;
}

function wrap(label, control, hint, extraClass) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: ['field', extraClass] },
    h('label', { for: control.id }, label),
    hint && h('p', { class: 'hint', id: hintId }, hint),
    control,
    h('p', { class: 'field-error', id: `${control.id}-error`, hidden: true }));
}

/** A one-line text field bound to target[key]. */
export function textField(label, path, target, key, { hint, optional = true, maxlength } = {}) {
  const input = h('input', { type: 'text', id: nextId(), value: target[key] ?? '', maxlength,
    dataset: { path } });
  input.addEventListener('input', () => assign(target, key, input.value, optional));
  return wrap(label, input, hint);
}

/** A multi-line text field bound to target[key]; `lines` keeps one list item per line. */
export function textArea(label, path, target, key, { hint, rows = 3, lines = false, width = 70 } = {}) {
  const value = target[key] ?? (lines ? [] : '');
  const area = h('textarea', { id: nextId(), dataset: { path } });
  area.value = lines ? value.join('\n') : value;
  // Tall enough to read what is there without scrolling the box (`width`: characters on a line).
  const needed = area.value.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / width)), 0);
  area.rows = Math.min(12, Math.max(rows, needed));
  area.addEventListener('input', () => {
    const next = lines ? area.value.split('\n').map((line) => line.trim()).filter(Boolean) : area.value;
    assign(target, key, next);
  });
  return wrap(label, area, hint, 'field--wide');
}

/** A whole number bound to target[key]; what is not a number is sent as typed, for the server to name. */
export function numberField(label, path, target, key, { hint, optional = true, min, max } = {}) {
  const input = h('input', { type: 'number', id: nextId(), step: 1, min, max, dataset: { path } });
  input.value = target[key] ?? '';
  input.addEventListener('input', () => {
    const text = input.value.trim();
    if (text === '') assign(target, key, '', optional);
    else target[key] = Number.isInteger(Number(text)) ? Number(text) : text;
  });
  return wrap(label, input, hint, 'field--narrow');
}

/** A fraction (0..1) shown and typed as a percentage. */
export function percentField(label, path, target, key, { hint } = {}) {
  const input = h('input', { type: 'number', id: nextId(), step: 1, min: 0, max: 100, dataset: { path } });
  input.value = target[key] === undefined ? '' : String(Math.round(target[key] * 1000) / 10);
  input.addEventListener('input', () => {
    const text = input.value.trim();
    if (text === '') delete target[key];
    else target[key] = Number.isFinite(Number(text)) ? Math.round(Number(text) * 10) / 1000 : text;
  });
  return wrap(`${label} (%)`, input, hint, 'field--narrow');
}

/** A choice among `options` ([value, label] pairs); `onChange` runs after target[key] is set. */
export function selectField(label, path, target, key, options, { hint, onChange } = {}) {
  const select = h('select', { id: nextId(), dataset: { path } },
    options.map(([value, text]) => h('option', { value, selected: value === target[key] }, text)));
  select.addEventListener('change', () => {
    target[key] = select.value;
    if (onChange) onChange(select.value);
  });
  return wrap(label, select, hint, 'field--narrow');
}

/** A checkbox bound to a boolean that defaults to true when absent. */
export function checkField(label, path, target, key) {
  const box = h('input', { type: 'checkbox', id: nextId(), dataset: { path } });
  box.checked = target[key] !== false;
  box.addEventListener('change', () => {
    if (box.checked) delete target[key];
    else target[key] = false;
  });
  return h('div', { class: 'field field--check' }, box, h('label', { for: box.id }, label),
    h('p', { class: 'field-error', id: `${box.id}-error`, hidden: true }));
}

/** A row of buttons that move or remove an item; labels name the item for screen readers. */
export function itemTools(name, position, count, { onMove, onRemove, focusKey }) {
  const button = (text, label, action, disabled) => h('button', {
    type: 'button', class: 'button button--small', 'aria-label': label, disabled,
    dataset: { focus: `${focusKey}.${action}` }, on: { click: () => (action === 'remove' ? onRemove() : onMove(action === 'up' ? -1 : 1)) },
  }, text);
  return h('div', { class: 'item-tools' },
    button('↑ Up', `Move ${name} up`, 'up', position === 0),
    button('↓ Down', `Move ${name} down`, 'down', position === count - 1),
    button('Remove', `Remove ${name}`, 'remove', false));
}

/** The path the server would name, shortened until a control on the page carries it. */
export function controlFor(root, path) {
  let rest = path;
  while (rest) {
    const found = root.querySelector(`[data-path="${CSS.escape(rest)}"]`);
    if (found) return found;
    const cut = Math.max(rest.lastIndexOf('.'), rest.lastIndexOf('['));
    rest = cut > 0 ? rest.slice(0, cut) : '';
  }
  return null;
}

/** Mark `control` as refused with `message` (shown below it and read out with it); `focus` moves there. */
export function markInvalid(control, message, { focus = true } = {}) {
  control.setAttribute('aria-invalid', 'true');
  const slot = control.id && document.getElementById(`${control.id}-error`);
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
    const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!described.includes(slot.id)) control.setAttribute('aria-describedby', [...described, slot.id].join(' '));
  }
  if (!focus) return;
  control.scrollIntoView({ block: 'center' });
  if (typeof control.focus === 'function') control.focus({ preventScroll: true });
}

export function clearInvalid(root) {
  for (const control of root.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  for (const slot of root.querySelectorAll('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
}
