// The connection badge every page shows (a dot and a word in an element with `.connection-text`):
// its `data-status` drives the CSS, its text says the same in words. Pages add their own states
// (the phone's "joining" and "joined") through `words`.

const WORDS = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  stopped: 'Disconnected',
};

export class ConnectionStatus {
  /**
   * @param {Element} element the badge, holding a `.connection-text` element
   * @param {object} words status -> text, over the defaults (e.g. `{ open: 'Live' }`)
   */
  constructor(element, words = {}) {
    this.element = element;
    this.label = element.querySelector('.connection-text');
    this.words = { ...WORDS, ...words };
    this.status = element.dataset.status || 'connecting';
  }

  show(status) {
    this.status = status;
    this.element.dataset.status = status;
    const text = this.words[status] || status;
    if (this.label.textContent !== text) this.label.textContent = text;
  }

  /**
   * Show a ReconnectingSocket's status as it changes, then call `then(status, detail)` for the page's
   * own reactions. Statuses in `hold` are left for the page to show (the phone's "open" waits for
   * its welcome before it says "Connected").
   */
  follow(socket, { then = null, hold = [] } = {}) {
    socket.onstatus = (status, detail) => {
      if (!hold.includes(status)) this.show(status);
      if (then) then(status, detail);
    };
    return this;
  }
}
