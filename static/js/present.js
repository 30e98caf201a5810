// The projector: read-only, driven by its own channel (/ws/CODE/present), whose `view` carries only
// what the room may see. It shows one thing at a time, the view's `focus` (the server decides which:
// workshop/live/focus.py), in plain words, and always fits the screen: nothing on it ever scrolls.

import { ReconnectingSocket } from './socket.js';
import { ConnectionStatus } from './connection-status.js';
import { isTyping, renderIfChanged } from './dom.js';
import { forgetCharts } from './chart.js';
import { dropUntilFits, fitText } from './fit.js';
import { approvedTexts, focusOf, isDissent } from './projector-focus.js';
import {
  contentScreen, endedScreen, examplesScreen, recordScreen, resultScreen, summaryScreen, votingScreen,
} from './projector-screens.js';
import { CLOSE_CODES } from './vocabulary.js';
import { countdownText, everySecond } from './countdown.js';

// The countdown on the voting screen ticks here; the server closes the question when it ends.
everySecond(() => {
  for (const clock of document.querySelectorAll('.pj-countdown')) clock.textContent = countdownText(clock.dataset.closesAt);
});

const MAX_EXAMPLES = 24;
const WALL_SMALLEST = 0.9;

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const $ = (id) => document.getElementById(id);
const SECTIONS = { join: ['step', 'join'], content: ['step'], voting: ['live'], result: ['results'],
  examples: ['examples'], dissent: ['dissent'], record: ['record'], summary: ['summary'], ended: ['ended'] };
let fittedScreen = ''; // the screen last fitted: step, focus and question

const socket = new ReconnectingSocket(`/ws/${code}/present`, {
  isFatal: (event) => event.code === CLOSE_CODES.unknown_session || event.code === CLOSE_CODES.policy_violation,
});
const connection = new ConnectionStatus($('connection'), { open: 'Live' }).follow(socket);

socket.onmessage = (message) => {
  if (message.type === 'view') {
    connection.show('open');
    render(message.view);
  }
};

/** Draw the room's view: the header, then the one screen the focus names, fitted to the stage. */
function render(view) {
  const step = view.steps[view.current_step];
  const focus = focusOf(view, step);
  main.dataset.stepKind = step.kind;
  main.dataset.focus = focus.kind;
  $('stage').dataset.focus = focus.kind;
  renderHeader(view, step, focus);
  const shown = new Set(SECTIONS[focus.kind]);
  for (const id of Object.values(SECTIONS).flat()) $(id).hidden = !shown.has(id);
  // A chart hidden and revealed again grows again.
  forgetCharts('projector:', new Set(focus.kind === 'result' ? [`projector:${focus.question.id}`] : []));
  const changed = SCREENS[focus.kind](view, step, focus);
  // A screen shown again unchanged still needs fitting: the last screen may have left the type smaller.
  const screen = `${step.index}:${focus.kind}:${focus.question ? focus.question.id : ''}`;
  if (changed || screen !== fittedScreen) fit(focus.kind);
  fittedScreen = screen;
}

function renderHeader(view, step, focus) {
  const connected = view.participants.connected;
  const word = connected === 1 ? 'phone connected' : 'phones connected';
  setText($('people-count'), String(connected));
  setText($('people-word'), word);
  setText($('join-count'), String(connected));
  setText($('join-count-word'), word);
  const ended = focus.kind === 'ended';
  setText($('step-count'), ended ? '' : `Step ${step.index + 1} of ${view.steps.length}`);
  setText($('step-title'), ended ? view.title : step.title);
  // The end slide invites nobody to join and is not "Live"; Reopen brings the deck back.
  $('connection').hidden = ended;
  $('people').hidden = ended;
  $('footer').hidden = ended || focus.kind === 'join';
}

function stepExamples(view, step, kind = 'examples') {
  return approvedTexts(view, step, kind).slice(-MAX_EXAMPLES);
}

const SCREENS = {
  join: (view, step) => renderIfChanged($('step-content'), { step: step.index, body: step.body }, () => contentScreen(step)),
  content: (view, step) => renderIfChanged($('step-content'), { step: step.index, body: step.body }, () => contentScreen(step)),
  voting: (view, step, focus) => {
    const live = view.questions[focus.question.id];
    const examples = focus.question.kind === 'text'
      ? stepExamples(view, step, isDissent(focus.question) ? 'dissent' : 'examples') : [];
    const data = { id: focus.question.id, others: focus.others.map((item) => item.id), connected: view.participants.connected,
      voted: live.voted, round: live.round, rounds: live.rounds || [], examples, closes: live.closes_at || null };
    return renderIfChanged($('live'), data, () => votingScreen(focus, live, data.connected, step, examples));
  },
  result: (view, step, focus) => {
    const live = view.questions[focus.question.id];
    return renderIfChanged($('results'), { id: focus.question.id, live },
      () => resultScreen(focus.question, live, step));
  },
  examples: (view, step) => {
    const texts = stepExamples(view, step);
    return renderIfChanged($('examples'), texts, () => examplesScreen(texts));
  },
  dissent: (view, step) => {
    const texts = stepExamples(view, step, 'dissent');
    return renderIfChanged($('dissent'), texts, () => examplesScreen(texts, 'dissent'));
  },
  ended: (view) => renderIfChanged($('ended'), view.summary || [], () => endedScreen(view.summary || [])),
  record: (view, step) => {
    const record = view.consensus[step.category];
    const direction = step.questions.find((question) => question.id.endsWith('.direction'));
    $('record').dataset.status = record.status;  // only an agreement is drawn in green
    return renderIfChanged($('record'), { record, direction: direction ? view.questions[direction.id] : null },
      () => recordScreen(record, step, view));
  },
  summary: (view) => {
    const rows = (view.summary || []).map((row) => ({
      title: row.title, impact: row.impact, agreement: row.agreement, reached: row.reached, record: row.record,
    }));
    return renderIfChanged($('summary'), rows, () => summaryScreen(rows));
  },
};

/** Fit the stage's screen to the stage: smaller type first, then fewer (older) examples. */
function fit(kind) {
  const stage = $('stage');
  const wall = stage.querySelector('section:not([hidden]) .pj-wall');
  // Examples are many short texts: better fewer of them than type too small to read from the back.
  fitText(stage, wall ? WALL_SMALLEST : undefined);
  if (wall) {
    // The note of what was left out takes a line itself: make room for it too.
    const more = stage.querySelector('section:not([hidden]) .pj-wall-more');
    more.hidden = false;
    more.textContent = 'and more on the facilitator’s screen';
    const dropped = dropUntilFits(stage, wall);
    more.hidden = !dropped;
    more.textContent = dropped ? `and ${dropped} more on the facilitator’s screen` : '';
  }
  main.dataset.fitted = kind;
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => fit(main.dataset.focus), 100);
});

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// --- full screen -------------------------------------------------------------------------------

const PROMPT_TIME = 30000;
const channel = 'BroadcastChannel' in window ? new BroadcastChannel(`workshop-${code}`) : null;
let promptTimer = null;

/** Enter or leave full screen; resolves to 'on', 'off' or 'refused' (no user gesture here). */
async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) {
      await document.exitFullscreen();
      return 'off';
    }
    if (!document.documentElement.requestFullscreen) return 'refused';
    await document.documentElement.requestFullscreen();
    return 'on';
  } catch {
    return document.fullscreenElement ? 'on' : 'refused';
  }
}

function showPrompt(shown) {
  $('fullscreen-prompt').hidden = !shown;
  clearTimeout(promptTimer);
  if (shown) promptTimer = setTimeout(() => { $('fullscreen-prompt').hidden = true; }, PROMPT_TIME);
}

async function fullscreenHere() {
  showPrompt(false);
  const result = await toggleFullscreen();
  if (result === 'refused') showPrompt(true);
  return result;
}

$('fullscreen').addEventListener('click', fullscreenHere);
$('fullscreen-prompt').addEventListener('click', fullscreenHere);
document.addEventListener('fullscreenchange', () => {
  const on = Boolean(document.fullscreenElement);
  main.classList.toggle('is-fullscreen', on);
  $('fullscreen').firstChild.textContent = on ? 'Exit full screen ' : 'Full screen ';
  if (on) showPrompt(false);
});
document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event)) return;
  if (event.key === 'f' || event.key === 'F') {
    event.preventDefault();
    if (!event.repeat) fullscreenHere();
  } else if (event.key === 'Escape') {
    showPrompt(false);
  }
});

// The console's F key arrives here. Browsers allow full screen only on a gesture in this window, so a
// refusal turns into a prompt on the projector, and the console is told either way.
if (channel) {
  channel.addEventListener('message', async (event) => {
    const message = event.data || {};
    if (message.type !== 'fullscreen') return;
    const result = await fullscreenHere();
    channel.postMessage({ type: 'fullscreen-result', fullscreen: result === 'on', refused: result === 'refused' });
  });
}

socket.start();
