// A WebSocket that keeps coming back: exponential backoff with jitter (0.5 s up to 10 s), so a room
// full of phones that lost the Wi-Fi together does not reconnect in one synchronised stampede.
//
// The browser's own view of the network counts too: when it says it went offline, the connection is
// treated as lost at once (an open socket can linger for a minute before TCP notices), no attempt is
// made while it stays offline, and the first `online` event reconnects straight away.

const MIN_DELAY = 500;
const MAX_DELAY = 10000;

export function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

function browserOffline() {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

export class ReconnectingSocket {
  /**
   * @param {string} path e.g. "/ws/ABC123"
   * @param {object} options `isFatal(closeEvent)`: true stops reconnecting (e.g. unknown session).
   */
  constructor(path, { isFatal = () => false } = {}) {
    this.url = socketUrl(path);
    this.isFatal = isFatal;
    this.onmessage = null; // (message object) => void
    this.onopen = null; // () => void, after every (re)connection
    // ('connecting' | 'open' | 'reconnecting' | 'stopped', detail) => void; while reconnecting,
    // detail.offline says the browser reports no network at all.
    this.onstatus = null;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.started = false;
    this.status = 'idle';
    // A phone that wakes up or gets its network back should not sit out the rest of a long backoff.
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => this.drop());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    });
  }

  get connected() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  get offline() {
    return browserOffline();
  }

  start() {
    this.stopped = false;
    this.started = true;
    this.connect();
    return this;
  }

  stop(detail) {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.setStatus('stopped', detail);
  }

  /** Send an object as JSON; false when there is no open connection (the caller keeps it). */
  send(message) {
    if (!this.connected || browserOffline()) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Drop a connection that looks dead (e.g. no ack arrives) and reconnect straight away. */
  restart() {
    if (this.stopped || !this.started) return;
    this.discard();
    this.attempt = 0;
    this.connect();
  }

  /** The network went away: stop using the socket now and retry with backoff until it is back. */
  drop() {
    if (this.stopped || !this.started) return;
    this.discard();
    this.setStatus('reconnecting', { offline: browserOffline() });
    this.schedule();
  }

  reconnectNow() {
    if (this.stopped || !this.started || this.connected) return;
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    clearTimeout(this.timer);
    this.connect();
  }

  discard() {
    clearTimeout(this.timer);
    if (!this.ws) return;
    const old = this.ws;
    this.ws = null;
    old.onopen = null;
    old.onmessage = null;
    old.onclose = null;
    old.onerror = null;
    try {
      old.close();
    } catch {
      // Already closing.
    }
  }

  connect() {
    clearTimeout(this.timer);
    if (browserOffline()) {
      // No network interface at all: an attempt could only fail. Wait for `online` (or the timer).
      this.setStatus('reconnecting', { offline: true });
      this.schedule();
      return;
    }
    this.setStatus(this.attempt === 0 && this.status === 'idle' ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
      if (this.onopen) this.onopen();
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (this.onmessage) this.onmessage(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (this.isFatal(event)) {
        this.stop(event);
        return;
      }
      this.setStatus('reconnecting', { code: event.code, offline: browserOffline() });
      this.schedule();
    };
    // An error is always followed by close, which does the reconnecting.
    ws.onerror = () => {};
  }

  schedule() {
    const ceiling = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    // "Equal jitter": at least half the backoff, so retries stay spaced, plus a random half.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  setStatus(status, detail) {
    this.status = status;
    if (this.onstatus) this.onstatus(status, detail);
  }
}
