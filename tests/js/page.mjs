// What the browser modules read from a page, for `node --test`: the vocabulary block that every page
// carries (made by the server's own workshop.vocabulary, so the labels cannot drift) and a
// localStorage-like store. Import this first: vocabulary.js reads the block when it is loaded.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const venv = `${root}.venv/bin/python`;
const python = process.env.WORKSHOP_PYTHON || (existsSync(venv) ? venv : 'python3');
const text = execFileSync(python, ['-c', 'import json; from workshop.vocabulary import vocabulary; print(json.dumps(vocabulary()))'],
  { cwd: root, encoding: 'utf8' });

globalThis.document = {
  getElementById: (id) => (id === 'vocabulary' ? { textContent: text } : null),
};

/** A Storage (getItem, setItem, removeItem) kept in memory; `broken` makes every call throw, as a
 * browser in private mode or with a full quota may. */
export class MemoryStorage {
  constructor({ broken = false } = {}) {
    this.values = new Map();
    this.broken = broken;
  }

  getItem(key) {
    this.check();
    return this.values.has(key) ? this.values.get(key) : null;
  }

  setItem(key, value) {
    this.check();
    this.values.set(key, String(value));
  }

  removeItem(key) {
    this.check();
    this.values.delete(key);
  }

  check() {
    if (this.broken) throw new Error('QuotaExceededError');
  }
}
