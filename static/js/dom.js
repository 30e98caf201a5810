// Small DOM helpers. Everything user-written goes in through text nodes, never through HTML parsing.

/**
 * Create an element. `props` keys: `class`, `text`, `dataset` (object), `on` (event -> handler);
 * any other key becomes an attribute (false/null/undefined leave it out, true sets it empty).
 * Children may be strings, nodes, arrays, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [type, handler] of Object.entries(value)) el.addEventListener(type, handler);
    else if (key === 'style') throw new Error('inline styles are refused by the content security policy');
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Text with blank-line paragraph breaks, as plans write it, turned into <p> elements. */
export function paragraphs(text, className) {
  return String(text || '')
    .split(/\n\s*\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => h('p', { class: className }, part));
}

const signatures = new WeakMap();

/**
 * Rebuild `el` from `data` only when `data` changed since the last call. Snapshots arrive up to ten
 * times a second; rebuilding untouched parts would steal focus and swallow clicks in flight.
 */
export function renderIfChanged(el, data, build) {
  const signature = JSON.stringify(data);
  if (signatures.get(el) === signature) return false;
  signatures.set(el, signature);
  el.replaceChildren(...[build(data)].flat(Infinity).filter(Boolean));
  return true;
}

/** True when a key press belongs to a form field (or an editor), not to page shortcuts. */
export function isTyping(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));
}

/**
 * A random message id. crypto.randomUUID exists only in secure contexts, and phones on the
 * meeting Wi-Fi usually reach the server over plain http, so build one from getRandomValues.
 */
export function randomId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) {
    return crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
