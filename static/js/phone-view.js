// The phone's screen: a phone state (what the server's `state` message carries) drawn into the page,
// with the ballot's marks on it. It sends nothing: taps go to the handlers it is given. The phone
// (phone.js) and the plan editor's preview (plan-preview.js) draw with it, so the preview is the phone.

import { h, clear, isTyping, renderIfChanged } from './dom.js';
import { QuestionOrder } from './phone-order.js';
import { stepContent } from './step-view.js';
import { forgetCharts, liveChart } from './chart.js';
import { figuresList } from './figures.js';
import { isCentred, signed } from './format.js';
import { LIMITS } from './vocabulary.js';
import { countdownText } from './countdown.js';
import { submissionStatus, voteStatus } from './phone-ballot.js';

/** The parts of the live view (step, questions, earlier results, examples), built into `root`; ids
 * start with `prefix`, so a second phone on one page (a preview) has ids of its own. */
export function buildLiveView(root, prefix = '') {
  const id = (name) => `${prefix}${name}`;
  const parts = {
    step: h('section', { id: id('step'), class: 'phone-step' }),
    questions: h('div', { id: id('questions'), class: 'phone-questions' }),
    earlierList: h('div', { id: id('earlier-list'), class: 'phone-questions' }),
    waiting: h('p', { id: id('waiting'), class: 'waiting', hidden: true },
      'Nothing to answer right now. Questions appear here when the facilitator opens them.'),
    stepDetails: h('section', { id: id('step-details'), class: 'phone-step-details' }),
    examplesList: h('ul', { id: id('examples-list'), class: 'example-list' }),
  };
  parts.earlier = h('details', { id: id('earlier'), class: 'phone-earlier', hidden: true },
    h('summary', {}, 'Earlier results'), parts.earlierList);
  parts.examples = h('section', { id: id('examples'), class: 'phone-examples', 'aria-labelledby': id('examples-title'), hidden: true },
    h('h2', { id: id('examples-title') }, 'Examples from the room'), parts.examplesList);
  root.replaceChildren(parts.step, parts.questions, parts.earlier, parts.waiting, parts.stepDetails, parts.examples);
  return parts;
}

function choiceOptions(question) {
  if (question.kind === 'scale') {
    const options = [];
    for (let value = question.min; value <= question.max; value += 1) {
      const label = (question.labels || {})[String(value)] || '';
      options.push({ value, number: signed(value, isCentred(question)), label });
    }
    return options;
  }
  return (question.options || []).map((option) => ({ value: option.id, number: '', label: option.label }));
}

function choiceButton(value, content, onTap, className = 'choice') {
  return h('button', {
    type: 'button', class: className, 'aria-pressed': 'false', dataset: { value: String(value) }, on: { click: onTap },
  }, content, h('span', { class: 'choice-mark', 'aria-hidden': 'true' }));
}

/** Draws phone states into the live view's `parts`; `handlers.vote(question, value)` and
 * `handlers.submit(question, text)` take the taps, `handlers.joined()` says whether what is sent goes
 * now. With `follow`, a question just opened is scrolled to;
 * `charts` and `ids` start its charts' keys and its elements' ids. */
export class PhoneView {
  constructor(parts, ballot, handlers, { follow = true, charts = 'phone:', ids = '' } = {}) {
    this.parts = parts;
    this.ballot = ballot;
    this.handlers = handlers;
    this.follow = follow;
    this.charts = charts;
    this.ids = ids;
    this.views = new Map(); // question id -> {el, question, buttons, status, results, submitted, signature}
    this.order = new QuestionOrder();
  }

  /** Draw `state` (step, questions, examples). */
  render(state) {
    this.renderStep(state.step);
    this.renderQuestions(state);
    const examples = state.examples || [];
    this.parts.examples.hidden = examples.length === 0;
    renderIfChanged(this.parts.examplesList, examples, () => examples.map((item) => h('li', {}, h('bdi', {}, item.text))));
  }

  renderStep(step) {
    renderIfChanged(this.parts.step, { index: step.index, count: step.count, title: step.title }, () => [
      h('p', { class: 'step-count' }, `Step ${step.index + 1} of ${step.count}`),
      h('h2', { class: 'step-title' }, step.title),
    ]);
    renderIfChanged(this.parts.stepDetails, step, () => {
      const content = stepContent(step);
      if (!content.length) return [];
      // With questions open the buttons matter most; the step text waits below them.
      return h('details', { class: 'step-details', open: true },
        h('summary', {}, step.kind === 'category' ? `About ${String(step.title).toLowerCase()}` : 'About this step'),
        content);
    });
  }

  renderQuestions(state) {
    // What can be answered now comes first, where the thumb is; then the latest result; older ones fold.
    const { open, latest, earlier, opened } = this.order.arrange(state.step.index, state.questions);
    const wanted = new Set([...open, ...latest, ...earlier].map((question) => question.id));
    for (const question of state.questions) this.place(question);
    for (const [qid, view] of this.views) {
      if (!wanted.has(qid)) {
        view.el.remove();
        this.views.delete(qid);
      }
    }
    placeAll(this.parts.questions, [...open, ...latest].map((question) => this.views.get(question.id).el));
    placeAll(this.parts.earlierList, earlier.map((question) => this.views.get(question.id).el));
    this.parts.earlier.hidden = earlier.length === 0;
    this.parts.waiting.hidden = wanted.size > 0;
    // A question just opened is brought into view, wherever the person had scrolled to.
    if (this.follow && opened.length && !isTyping({ target: document.activeElement })) {
      this.views.get(opened[0]).el.scrollIntoView({ block: 'start' });
    }
  }

  /** Build a question's card when its definition changed, else keep it; then mark it. */
  place(question) {
    const definition = { ...question };
    delete definition.results;
    delete definition.revealed;
    const signature = JSON.stringify(definition);
    let view = this.views.get(question.id);
    if (!view || view.signature !== signature) {
      const built = this.build(question);
      built.signature = signature;
      if (view) view.el.replaceWith(built.el);
      view = built;
      this.views.set(question.id, view);
    }
    view.question = question;
    this.refreshChoice(question.id);
    this.refreshResults(question.id);
  }

  build(question) {
    const headingId = `${this.ids}q-${question.id.replace(/[^a-z0-9_-]/gi, '-')}`;
    const card = h('section', { class: ['card', 'question', `question--${question.status}`], 'aria-labelledby': headingId });
    const meta = [question.status === 'open' ? (question.kind === 'text' ? 'Open for examples' : 'Voting open') : 'Voting closed'];
    if (question.round > 1) meta.unshift(`Round ${question.round}`);
    const timed = question.status === 'open' && question.closes_at;
    card.append(
      h('p', { class: 'question-meta' }, meta.join(' · '), timed ? ' · ' : null,
        timed ? h('span', { class: 'countdown', role: 'timer', dataset: { closesAt: question.closes_at } },
          countdownText(question.closes_at)) : null),
      h('h3', { id: headingId, class: 'question-prompt' }, question.prompt),
    );
    const view = { el: card, question, buttons: [], status: null, results: null, submitted: null };
    if (question.kind === 'text') this.buildText(view, question);
    else if (question.status === 'open') this.buildChoices(view, question);
    else {
      view.status = h('p', { class: 'vote-status vote-status--closed' });
      card.append(view.status);
    }
    view.results = h('div', { class: 'results' });
    card.append(view.results);
    return view;
  }

  buildChoices(view, question) {
    const group = h('div', { class: ['choices', `choices--${question.kind}`], role: 'group', 'aria-label': question.prompt });
    const tap = (value) => () => this.handlers.vote(view.question, value);
    for (const option of choiceOptions(question)) {
      view.buttons.push(choiceButton(option.value, [
        option.number ? h('span', { class: 'choice-number' }, option.number) : null,
        // A space between number and words, so a screen reader says "minus 1 Less", not "minus 1Less".
        option.number && option.label ? ' ' : null,
        option.label ? h('span', { class: 'choice-label' }, option.label) : null,
      ], tap(option.value)));
    }
    if (question.allow_abstain) {
      view.buttons.push(choiceButton('abstain', h('span', { class: 'choice-label' }, 'Abstain'), tap('abstain'),
        'choice choice--abstain'));
    }
    group.append(...view.buttons);
    view.status = h('p', { class: 'vote-status' });
    view.el.append(group, view.status);
  }

  buildText(view, question) {
    view.submitted = h('ul', { class: 'submitted' });
    if (question.status !== 'open') {
      view.status = h('p', { class: 'vote-status vote-status--closed' }, 'Submissions are closed.');
      view.el.append(view.status, view.submitted);
      return;
    }
    const fieldId = `${view.el.getAttribute('aria-labelledby')}-text`;
    const countId = `${fieldId}-count`;
    const limit = question.max_length || LIMITS.submission_text;
    const drafts = this.ballot.drafts;
    const textarea = h('textarea', { id: fieldId, name: 'text', maxlength: limit, rows: 4, required: true, 'aria-describedby': countId });
    textarea.value = drafts.get(question.id) || '';
    const counter = h('p', { id: countId, class: 'hint char-count' });
    const updateCount = () => { counter.textContent = `${textarea.value.length} of ${limit} characters`; };
    updateCount();
    textarea.addEventListener('input', () => {
      drafts.set(question.id, textarea.value);
      updateCount();
    });
    const send = (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) return;
      this.handlers.submit(view.question, text);
      textarea.value = '';
      updateCount();
      this.refreshChoice(question.id);
    };
    const form = h('form', { class: 'text-form', on: { submit: send } },
      h('label', { for: fieldId, class: 'visually-hidden' }, 'Your example'),
      textarea, counter,
      h('button', { type: 'submit', class: 'button button--primary button--big' }, 'Send'));
    view.status = h('p', { class: 'vote-status' }, 'The facilitator reads examples before they are shown to the room.');
    view.el.append(form, view.status, view.submitted);
  }

  /** Mark the question's chosen answer (or its sent examples) and say where the vote stands. */
  refreshChoice(qid) {
    const view = this.views.get(qid);
    if (!view) return;
    const question = view.question;
    if (question.kind === 'text') {
      clear(view.submitted);
      for (const item of this.ballot.sent(qid)) {
        view.submitted.append(h('li', { class: item.status === 'received' ? 'is-received' : 'is-pending' },
          h('span', { class: 'submitted-text' }, h('bdi', {}, item.text)),
          h('span', { class: 'submitted-status' }, submissionStatus(item, this.joined()))));
      }
      return;
    }
    const shown = this.ballot.shown(question);
    for (const button of view.buttons) {
      const chosen = button.dataset.value === shown.value;
      button.setAttribute('aria-pressed', chosen ? 'true' : 'false');
      button.classList.toggle('is-pending', chosen && shown.pending);
    }
    if (!view.status) return;
    const { text, mode } = voteStatus(question, shown, this.joined());
    view.status.textContent = text;
    view.status.dataset.mode = mode;
  }

  refreshAll() {
    for (const qid of this.views.keys()) this.refreshChoice(qid);
  }

  /** The revealed results under a question, the phone's own vote highlighted once received. */
  refreshResults(qid) {
    const view = this.views.get(qid);
    if (!view || !view.results) return;
    const question = view.question;
    const { value, pending } = this.ballot.shown(question);
    const shown = question.revealed && question.results ? { results: question.results, mine: pending ? null : value } : null;
    const chartKey = `${this.charts}${qid}`;
    if (!shown) forgetCharts(chartKey);
    renderIfChanged(view.results, shown, () => {
      if (!shown) return [];
      return [
        h('h4', { class: 'results-title' }, 'Results'),
        // Bars grow when the results are revealed, and glide when they change.
        liveChart(chartKey, question, shown.results, { mine: shown.mine, title: question.prompt }),
        shown.mine ? h('p', { class: 'hint' }, 'Your vote is highlighted.') : null,
        figuresList(question, shown.results),
      ];
    });
  }

  /** Build a question's card again (a refused example goes back into its field). */
  rebuild(qid) {
    const view = this.views.get(qid);
    if (!view) return;
    const built = this.build(view.question);
    built.signature = view.signature;
    view.el.replaceWith(built.el);
    this.views.set(qid, built);
    this.refreshChoice(qid);
    this.refreshResults(qid);
  }

  joined() {
    return this.handlers.joined ? this.handlers.joined() : true;
  }

  /** The question as last drawn, or undefined. */
  question(qid) {
    const view = this.views.get(qid);
    return view && view.question;
  }

  /** Set every countdown on the screen to the time left. */
  tick() {
    for (const clock of this.parts.questions.querySelectorAll('.countdown')) {
      const text = countdownText(clock.dataset.closesAt);
      if (clock.textContent !== text) clock.textContent = text;
    }
  }
}

function placeAll(list, nodes) {
  const current = [...list.children];
  if (current.length !== nodes.length || current.some((node, index) => node !== nodes[index])) {
    list.replaceChildren(...nodes);
  }
}

/** The end of the workshop: what the room agreed, kind by kind, into `list`; `empty` shows when none. */
export function renderEnded(list, empty, records) {
  empty.hidden = records.length > 0;
  renderIfChanged(list, records, () => records.map((record) => h('li', { class: 'ended-record' },
    h('h3', {}, `${record.kind_label} variability`),
    h('p', {}, `${record.direction_label} · ${record.strategy_name}`),
    h('p', { class: 'hint' }, record.status_label))));
}
