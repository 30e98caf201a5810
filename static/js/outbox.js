// Messages the server has not acknowledged yet, kept in localStorage so that a vote tapped while the
// Wi-Fi is down (or while the page reloads) is re-sent later with the SAME id: the server counts a
// re-sent id once, so re-sending is always safe.

/** One JSON value kept under `key` in `backing` (the page's localStorage; any Storage-like object). */
export function storage(key, fallback, backing = globalThis.localStorage) {
  return {
    load() {
      try {
        const text = backing.getItem(key);
        return text === null ? fallback : JSON.parse(text);
      } catch {
        return fallback;
      }
    },
    save(value) {
      try {
        if (value === null || value === undefined) backing.removeItem(key);
        else backing.setItem(key, JSON.stringify(value));
      } catch {
        // Private browsing or a full quota: the phone still works, it just forgets on reload.
      }
    },
  };
}

export class Outbox {
  constructor(key, backing = globalThis.localStorage) {
    this.store = storage(key, [], backing);
    const loaded = this.store.load();
    this.items = Array.isArray(loaded) ? loaded : [];
  }

  /** Queue a message; a vote replaces queued votes on the same question (the latest one wins). */
  add(item) {
    if (item.type === 'vote') {
      this.items = this.items.filter((queued) => !(queued.type === 'vote' && queued.question === item.question));
    }
    this.items.push(item);
    this.store.save(this.items);
  }

  remove(id) {
    const found = this.items.find((item) => item.id === id) || null;
    if (found) {
      this.items = this.items.filter((item) => item.id !== id);
      this.store.save(this.items);
    }
    return found;
  }

  /** Drop what no longer applies, e.g. votes queued for a round that has since been replaced. */
  dropWhere(predicate) {
    const before = this.items.length;
    this.items = this.items.filter((item) => !predicate(item));
    if (this.items.length !== before) this.store.save(this.items);
  }

  latestVote(question) {
    return [...this.items].reverse().find((item) => item.type === 'vote' && item.question === question) || null;
  }

  get size() {
    return this.items.length;
  }

  all() {
    return [...this.items];
  }
}
