// Which one thing the big screen shows now, chosen from the room's view: the end slide once the
// workshop has ended, the decisions on the summary, the open question while a vote runs (the intro's
// too); otherwise the latest thing to
// happen on this step (a result revealed, examples approved, a decision recorded), and the step's own
// content when nothing has happened yet (on the introduction, how to join).
//
// "Latest" is what changed most recently as this screen saw it. A screen opened mid-step has seen no
// history, so it takes the step's flow order: results (in question order), then examples, then the
// decision, the last of those present being the latest.

/** The questions of `step` that are open and not revealed: what the room is answering now. */
export function openQuestions(view, step) {
  return step.questions.filter((question) => {
    const live = view.questions[question.id];
    return live && live.status === 'open' && !live.revealed;
  });
}

/** True for a question asking what would change a vote: its answers are a slide of their own. */
export function isDissent(question) {
  return question.kind === 'text' && question.id.endsWith('.dissent');
}

/** The approved texts of `step` of one kind, 'examples' or 'dissent', oldest first. */
export function approvedTexts(view, step, kind) {
  const ids = new Set(step.questions.filter((question) => isDissent(question) === (kind === 'dissent'))
    .map((question) => question.id));
  return view.submissions.filter((item) => ids.has(item.question_id)).map((item) => item.text);
}

/** What may be the focus on this step, in flow order: [{kind, key, signature, ...}]. */
function candidates(view, step) {
  const found = [];
  for (const question of step.questions) {
    const live = view.questions[question.id];
    if (question.kind !== 'text' && live && live.revealed && live.tally) {
      found.push({ kind: 'result', key: `result:${question.id}`, signature: `round ${live.round}`, question });
    }
  }
  for (const kind of ['examples', 'dissent']) {
    const texts = approvedTexts(view, step, kind);
    if (texts.length) found.push({ kind, key: kind, signature: String(texts.length) });
  }
  const record = step.category ? view.consensus[step.category] : null;
  if (record) {
    found.push({ kind: 'record', key: 'record',
      signature: JSON.stringify([record.direction, record.strategy, record.status, record.notes]) });
  }
  return found;
}

export class FocusMemory {
  constructor() {
    this.step = null;
    this.seen = new Map(); // key -> {signature, at}
    this.clock = 0;
  }

  /** The focus for this view: {kind, question?, open?}. */
  choose(view) {
    const step = view.steps[view.current_step];
    if (view.ended) return { kind: 'ended' };
    if (step.kind === 'summary') return { kind: 'summary' };
    const found = this.remember(step, candidates(view, step));
    const open = openQuestions(view, step);
    if (open.length) return { kind: 'voting', question: open[0], others: open.slice(1) };
    // The introduction invites the room to join until its own question has something to show.
    if (!found.length) return { kind: step.kind === 'intro' ? 'join' : 'content' };
    return found.reduce((latest, item) => (this.seen.get(item.key).at > this.seen.get(latest.key).at ? item : latest));
  }

  remember(step, found) {
    if (this.step !== step.index) {
      this.step = step.index;
      this.seen.clear();
    }
    const present = new Set(found.map((item) => item.key));
    for (const key of [...this.seen.keys()]) if (!present.has(key)) this.seen.delete(key);
    for (const item of found) {
      const known = this.seen.get(item.key);
      if (!known || known.signature !== item.signature) {
        this.clock += 1;
        this.seen.set(item.key, { signature: item.signature, at: this.clock });
      }
    }
    return found;
  }
}
