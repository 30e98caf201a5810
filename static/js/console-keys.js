// The console's keyboard: arrows move through the agenda, Space and Enter act on the highlighted
// question, F asks the projector window to go full screen.

import { h, isTyping, renderIfChanged } from './dom.js';

const $ = (id) => document.getElementById(id);

const KEY_ACTIONS = {
  open: 'opens voting', close: 'closes voting', reveal: 'reveals the results', hide: 'hides the results',
};
const KEY_NEXT = {
  open: 'open voting on', close: 'close voting on', reveal: 'reveal the results of', hide: 'hide the results of',
};

/**
 * Space opens the next question of the step, or closes the one that is open; it never reopens a
 * closed one (the card's button does that). Enter reveals or hides the results of the question being
 * voted on, else of the latest one asked. Both are shown on the cards, so nothing is a surprise.
 */
function keyTargets(snapshot) {
  if (!snapshot) return { space: null, enter: null };
  const step = snapshot.steps[snapshot.current_step];
  const live = (question) => snapshot.questions[question.id] || { status: 'pending' };
  const open = step.questions.find((question) => live(question).status === 'open') || null;
  const space = open || step.questions.find((question) => live(question).status === 'pending') || null;
  let enter = open && open.kind !== 'text' ? open : null;
  if (!enter) {
    const asked = step.questions.filter((question) => question.kind !== 'text' && live(question).status !== 'pending');
    enter = asked.length ? asked[asked.length - 1] : null;
  }
  return {
    space: space && { question: space, command: live(space).status === 'open' ? 'close' : 'open' },
    enter: enter && { question: enter, command: live(enter).revealed ? 'hide' : 'reveal' },
  };
}

function renderKeyTargets(snapshot, cards) {
  const { space, enter } = keyTargets(snapshot);
  for (const [qid, card] of cards) {
    const keys = [];
    if (space && space.question.id === qid) keys.push(['Space', KEY_ACTIONS[space.command]]);
    if (enter && enter.question.id === qid) keys.push(['Enter', KEY_ACTIONS[enter.command]]);
    card.el.classList.toggle('is-key-target', keys.length > 0);
    card.keys.hidden = keys.length === 0;
    renderIfChanged(card.keys, keys, () => [
      h('span', { class: 'visually-hidden' }, 'Keyboard: '),
      keys.map(([key, action], index) => [index ? ' · ' : '', h('kbd', {}, key), ` ${action}`]),
    ]);
  }
  const describe = (target) => (target ? `Next: ${KEY_NEXT[target.command]} “${target.question.prompt}”` : 'Nothing to do on this step');
  const spaceText = describe(space);
  const enterText = describe(enter);
  if ($('space-target').textContent !== spaceText) $('space-target').textContent = spaceText;
  if ($('enter-target').textContent !== enterText) $('enter-target').textContent = enterText;
  $('space-target').title = spaceText;  // the bar shows one line of it
  $('enter-target').title = enterText;
}

// The projector is another window. Only that window may go full screen, and only on a user gesture
// there; so the console asks it over a BroadcastChannel (same browser only) and reports its answer.
function projectorFullscreen(code) {
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel(`workshop-${code}`) : null;
  let timer = null;
  if (channel) {
    channel.addEventListener('message', (event) => {
      const message = event.data || {};
      if (message.type !== 'fullscreen-result') return;
      clearTimeout(timer);
      const status = $('projector-status');
      if (message.refused) {
        status.textContent = 'The browser wants a key press on the projector itself: press F on the projector window (it shows how).';
      } else {
        status.textContent = message.fullscreen ? 'The projector is full screen.' : 'The projector left full screen.';
      }
    });
  }
  return () => {
    const status = $('projector-status');
    if (!channel) {
      status.textContent = 'This browser cannot reach the projector window: press F on the projector.';
      return;
    }
    channel.postMessage({ type: 'fullscreen' });
    status.textContent = 'Asking the projector window…';
    clearTimeout(timer);
    timer = setTimeout(() => {
      status.textContent = 'No projector window is open in this browser. Open it with “Open projector”, then press F there.';
    }, 1500);
  };
}

/** Space and Enter belong to whatever has focus when that is a control (a button, link or field). */
function focusOnControl(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest('a[href], button, input, textarea, select, summary, label, [role="button"], [contenteditable=""], [contenteditable="true"]'));
}

// A button clicked with a mouse or a finger lets go of the focus afterwards: otherwise the next Space
// would press it again (say, a second "New round") instead of acting on the highlighted question.
// A button pressed from the keyboard (event.detail 0) keeps the focus, as keyboard users expect.
function releaseClickedButtons() {
  document.addEventListener('click', (event) => {
    if (event.detail === 0) return;
    const button = event.target instanceof Element ? event.target.closest('button') : null;
    if (button && document.activeElement === button) button.blur();
  });
}

/** The console's keys. `snapshot()` returns the latest snapshot; `cards` is the question cards' map. */
export function createKeys({ code, command, go, cards, snapshot }) {
  const fullscreen = projectorFullscreen(code);

  function runKeyTarget(target) {
    if (!target) return;
    const card = cards.get(target.question.id);
    const payload = card ? card.payload(target.command) : { command: target.command, question: target.question.id };
    command(payload, card ? card.buttons[target.command] : null);
    // Keep the card the key acted on in sight, so its badges and tally show the result.
    if (card) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      card.el.scrollIntoView({ block: 'nearest', behavior: smooth ? 'smooth' : 'auto' });
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (isTyping(event)) return;
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      go(event.key === 'ArrowRight' ? 1 : -1);
    } else if (event.key === ' ' || event.key === 'Enter') {
      if (focusOnControl(event)) return;
      event.preventDefault();
      if (event.repeat) return;
      const targets = keyTargets(snapshot());
      runKeyTarget(event.key === ' ' ? targets.space : targets.enter);
    } else if (event.key === 'f' || event.key === 'F') {
      if (event.repeat) return;
      event.preventDefault();
      fullscreen();
    }
  }

  $('projector-fullscreen').addEventListener('click', fullscreen);
  releaseClickedButtons();
  document.addEventListener('keydown', onKey);
  return { render: (current) => renderKeyTargets(current, cards) };
}
