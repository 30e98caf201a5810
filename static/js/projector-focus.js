// What the big screen shows, as the server decided it (the view's `focus`, see workshop/live/focus.py
// for the rules), with the question objects the screens draw; and the approved texts of a step.

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

/** The view's focus on `step`: {kind, question?, others?}, its question ids turned into the step's
 * questions. A focus naming a question the step does not have shows the step's content. */
export function focusOf(view, step) {
  const focus = view.focus || { kind: 'content' };
  const byId = (id) => step.questions.find((question) => question.id === id);
  if (!focus.question) return { kind: focus.kind };
  const question = byId(focus.question);
  if (!question) return { kind: 'content' };
  return { kind: focus.kind, question, others: (focus.others || []).map(byId).filter(Boolean) };
}
