// The order a phone lists the step's questions in: what can be answered now first, then the latest
// result, then the earlier ones (folded away under "Earlier"). "Latest" is what changed last as this
// phone saw it; a phone that opens mid-step has seen nothing change, so it takes the plan's order
// backwards (a later question was asked later).

/** Remembers when each question last changed, as this phone saw it. */
export class QuestionOrder {
  constructor() {
    this.seen = new Map(); // question id -> {signature, status, at}
    this.clock = 0;
    this.step = null;
    this.started = false;
  }

  /** {open, latest, earlier, opened}: questions (objects) in order; `opened`, the ids opened since
   * the last call (never on the first, when the page has only just been drawn). */
  arrange(stepIndex, questions) {
    if (this.step !== stepIndex) {
      this.step = stepIndex;
      this.seen.clear();
    }
    const opened = [];
    for (const question of questions) {
      const signature = `${question.status}:${question.round}:${question.revealed ? 'revealed' : ''}`;
      const known = this.seen.get(question.id);
      if (known && known.signature === signature) continue;
      if (question.status === 'open' && this.started && (!known || known.status !== 'open')) opened.push(question.id);
      this.clock += 1;
      this.seen.set(question.id, { signature, status: question.status, at: this.clock });
    }
    this.started = true;
    const open = questions.filter((question) => question.status === 'open');
    const closed = questions.filter((question) => question.status !== 'open')
      .sort((a, b) => this.seen.get(b.id).at - this.seen.get(a.id).at);
    return { open, latest: closed.slice(0, 1), earlier: closed.slice(1), opened };
  }
}
