// The console's question cards: one per question of the current step, with its controls, its badges,
// the live tally and, from the second round on, the rounds compared.

import { forgetCharts, liveChart } from './chart.js';
import { h, renderIfChanged } from './dom.js';
import { figuresList, groupsLine } from './figures.js';
import { decimal, percent, valueLabel } from './format.js';
import { QUESTION_STATUSES, VERDICTS, label } from './vocabulary.js';
import { countdownText, everySecond } from './countdown.js';

function describeKind(question) {
  if (question.kind === 'scale') return `scale ${valueLabel(question, question.min)} … ${valueLabel(question, question.max)}`;
  if (question.kind === 'choice') return `choice of ${question.options.length}`;
  return `open text, up to ${question.max_length} characters, moderated`;
}

function buildCard(question, command) {
  const headingId = `card-${question.id.replace(/[^a-z0-9_-]/gi, '-')}`;
  const card = { question, buttons: {} };
  const actions = h('div', { class: 'q-actions', role: 'group', 'aria-label': 'Question controls' });
  const payload = (name) => ({
    command: name, question: question.id,
    // Opening takes the countdown chosen beside the button with it.
    ...(name === 'open' ? { seconds: card.timer.seconds() } : {}),
  });
  const add = (name, text, className = 'button') => {
    const button = h('button', {
      type: 'button', class: className,
      on: { click: (event) => command(payload(name), event.currentTarget) },
    }, text);
    card.buttons[name] = button;
    actions.append(button);
  };
  add('open', 'Open voting', 'button button--primary');
  add('close', 'Close voting');
  if (question.kind !== 'text') {
    add('reveal', 'Reveal results', 'button button--primary');
    add('hide', 'Hide results');
    add('new_round', 'New round');
  }
  card.timer = timerControls(question, command);
  card.payload = payload;
  actions.append(card.timer.el);
  card.badges = h('p', { class: 'badges' });
  card.keys = h('p', { class: 'q-keys', hidden: true });
  card.tally = h('div', { class: 'q-tally' });
  card.rounds = h('div', { class: 'q-rounds' });
  card.el = h('article', { class: 'q-card', 'aria-labelledby': headingId },
    h('header', { class: 'q-head' },
      h('h3', { id: headingId }, question.prompt),
      h('p', { class: 'q-id' }, `${question.id} · ${describeKind(question)}`),
      card.badges),
    card.keys, actions, card.tally, card.rounds);
  return card;
}

const TIMER_CHOICES = [['', 'No timer'], ['30', '30 s'], ['60', '60 s'], ['90', '90 s'], ['custom', 'Custom…']];

/** The countdown chooser of a card: used by "Open voting", and set or stopped on an open question. */
function timerControls(question, command) {
  const id = `timer-${question.id.replace(/[^a-z0-9_-]/gi, '-')}`;
  const select = h('select', { id, class: 'timer-select' },
    TIMER_CHOICES.map(([value, text]) => h('option', { value }, text)));
  const custom = h('input', {
    type: 'number', min: 1, max: 3600, step: 1, value: 120, class: 'timer-custom', hidden: true,
    'aria-label': 'Countdown in seconds',
  });
  const seconds = () => {
    if (select.value === 'custom') {
      const value = Number(custom.value);
      return Number.isInteger(value) && value > 0 ? value : null;
    }
    return select.value ? Number(select.value) : null;
  };
  const set = h('button', {
    type: 'button', class: 'button button--small', hidden: true,
    on: { click: (event) => command({ command: 'timer', question: question.id, seconds: seconds() }, event.currentTarget) },
  }, 'Start timer');
  const stop = h('button', {
    type: 'button', class: 'button button--small', hidden: true,
    on: { click: (event) => command({ command: 'timer', question: question.id, seconds: null }, event.currentTarget) },
  }, 'Stop timer');
  select.addEventListener('change', () => { custom.hidden = select.value !== 'custom'; });
  const el = h('span', { class: 'timer-controls' },
    h('label', { for: id }, 'Timer'), select, custom, set, stop);
  return {
    el, seconds,
    render(live) {
      set.hidden = live.status !== 'open';
      set.textContent = live.closes_at ? 'Restart timer' : 'Start timer';
      stop.hidden = live.status !== 'open' || !live.closes_at;
    },
  };
}

function renderBadges(card, live) {
  renderIfChanged(card.badges, [live.status, live.round, live.revealed, live.closes_at], () => [
    h('span', { class: ['badge', `badge--${live.status}`] }, label(QUESTION_STATUSES, live.status)),
    h('span', { class: 'badge' }, `Round ${live.round}`),
    live.status === 'open' && live.closes_at ? h('span', { class: 'badge badge--timer', dataset: { closesAt: live.closes_at } },
      countdownText(live.closes_at)) : null,
    card.question.kind === 'text' ? null : h('span', { class: ['badge', live.revealed ? 'badge--revealed' : 'badge--hidden'] },
      live.revealed ? 'Results shown to the room' : 'Results hidden from the room'),
  ]);
}

function renderButtons({ buttons }, live) {
  buttons.open.hidden = live.status === 'open';
  buttons.open.textContent = live.status === 'closed' ? 'Reopen voting' : 'Open voting';
  buttons.close.hidden = live.status !== 'open';
  if (buttons.reveal) {
    buttons.reveal.hidden = live.status === 'pending' || live.revealed;
    buttons.hide.hidden = !live.revealed;
    buttons.new_round.hidden = live.status === 'pending';
  }
}

function renderSubmissionCount(card, submissions, live) {
  const mine = submissions.filter((item) => item.question_id === card.question.id);
  const count = (status) => mine.filter((item) => item.status === status).length;
  // The snapshot carries a page of what waits; the totals come with the question.
  const sent = live.sent ?? mine.length;
  const waiting = live.waiting ?? count('pending');
  renderIfChanged(card.tally, [sent, waiting, count('approved')], () =>
    h('p', { class: 'tally-line' },
      `${sent} sent · ${waiting} to review · ${count('approved')} shown to the room`));
}

const NAMES_SHOWN = 5;

/** "12 connected phones have not voted yet: Ana, Ben, … and 7 more": a count and a few names, never a
 * wall of them; the whole list is the line's title. */
function notVotedLine(notVoted) {
  const { count, names } = notVoted;
  const shown = names.slice(0, NAMES_SHOWN);
  const more = names.length > shown.length ? ` and ${names.length - shown.length} more` : '';
  const listed = shown.length ? `: ${shown.join(', ')}${more}` : '';
  return h('p', { class: 'hint not-voted', title: names.join(', ') },
    `${count} connected ${count === 1 ? 'phone has' : 'phones have'} not voted yet${listed}`);
}

function tallyView(question, live) {
  if (!live.tally) return h('p', { class: 'hint' }, 'Open voting to see the live tally.');
  const tally = live.tally;
  const parts = [h('p', { class: 'tally-line' }, h('strong', { class: 'voted-count' }, String(tally.voted)),
    ` ${tally.voted === 1 ? 'phone has' : 'phones have'} voted in round ${live.round}`)];
  parts.push(h('div', { class: 'tally-body' },
    h('div', { class: 'chart-box' }, liveChart(`console:${question.id}`, question, tally, { title: question.prompt })),
    figuresList(question, tally, { full: true })));
  // Below the chart, so that a long list of names never pushes the chart out of view.
  if (live.not_voted && live.not_voted.count) parts.push(notVotedLine(live.not_voted));
  const groups = groupsLine(question, tally);
  if (groups) parts.push(groups);
  return parts;
}

function signedPoints(change) {
  const points = Math.round(change * 100);
  return `${points > 0 ? '+' : points < 0 ? '\u2212' : '±'}${Math.abs(points)} points`;
}

function shiftLine(shift) {
  const bits = [];
  if (shift.consensus_change !== null) bits.push(`consensus ${signedPoints(shift.consensus_change)}`);
  if (shift.agreement_change !== null) bits.push(`agreement ${signedPoints(shift.agreement_change)}`);
  if (shift.changed_share !== null) bits.push(`${percent(shift.changed_share)} of ${shift.voters_both} who voted in both rounds changed their vote`);
  return h('p', { class: 'hint' }, `Since the previous round: ${bits.join(' · ') || 'no comparison yet'}`);
}

function roundsView(question, data) {
  const scale = question.kind === 'scale';
  const rows = data.rounds.map((round) => h('tr', {},
    h('th', { scope: 'row' }, `Round ${round.round}`),
    h('td', {}, String(round.n)),
    scale ? h('td', {}, decimal(round.mean)) : h('td', {}, round.leader ? valueLabel(question, round.leader) : '–'),
    scale ? h('td', {}, percent(round.consensus)) : null,
    h('td', {}, percent(round.agreement)),
    h('td', {}, label(VERDICTS, round.verdict) || (round.reached ? 'Yes' : 'No'))));
  return [
    h('table', { class: 'rounds-table' },
      h('caption', {}, 'Rounds compared'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Round'), h('th', { scope: 'col' }, 'Votes'),
        h('th', { scope: 'col' }, scale ? 'Mean' : 'Leading'),
        scale ? h('th', { scope: 'col' }, 'Consensus') : null,
        h('th', { scope: 'col' }, 'Agreement'), h('th', { scope: 'col' }, 'Verdict'))),
      h('tbody', {}, rows)),
    data.shift ? shiftLine(data.shift) : null,
  ];
}

/** The current step's question cards. `cards` maps question id -> {question, el, buttons, keys, …}. */
class QuestionCards {
  constructor({ command }) {
    this.command = command;
    this.cards = new Map();
    this.shownStep = null; // index of the step whose cards are built
  }

  render(snapshot) {
    const step = snapshot.steps[snapshot.current_step];
    if (this.shownStep !== step.index) {
      this.shownStep = step.index;
      this.cards.clear();
      forgetCharts('console:');
      const built = step.questions.map((question) => buildCard(question, this.command));
      for (const card of built) this.cards.set(card.question.id, card);
      document.getElementById('questions').replaceChildren(...built.map((card) => card.el));
    }
    for (const question of step.questions) this.update(snapshot, question);
  }

  update(snapshot, question) {
    const card = this.cards.get(question.id);
    const live = snapshot.questions[question.id];
    if (!card || !live) return;
    card.el.dataset.status = live.status;
    renderBadges(card, live);
    renderButtons(card, live);
    card.timer.render(live);
    if (question.kind === 'text') {
      renderSubmissionCount(card, snapshot.submissions, live);
      return;
    }
    renderIfChanged(card.tally, { tally: live.tally || null, waiting: live.not_voted || null, status: live.status }, () =>
      tallyView(question, live));
    // Every round's figures and the shift between the last two come with the snapshot.
    const rounds = live.round > 1 ? { rounds: live.rounds || [], shift: live.shift || null } : null;
    renderIfChanged(card.rounds, rounds, () => (rounds ? roundsView(question, rounds) : []));
  }
}

export function createQuestionCards(parts) {
  everySecond(() => {
    for (const badge of document.querySelectorAll('#questions .badge--timer')) {
      const text = countdownText(badge.dataset.closesAt);
      if (badge.textContent !== text) badge.textContent = text;
    }
  });
  return new QuestionCards(parts);
}
