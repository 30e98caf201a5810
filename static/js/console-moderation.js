// The console's moderation panel: examples sent from phones wait here until approved or rejected.

import { h, renderIfChanged } from './dom.js';

const $ = (id) => document.getElementById(id);

function submissionItem(item, actions, command) {
  // Each piece of the participant's own text isolated (<bdi>), so none reorders its neighbours.
  const parts = [item.name, item.group_name].filter(Boolean).map((text) => h('bdi', {}, text));
  const who = parts.length ? parts.flatMap((part, index) => (index ? [', ', part] : [part])) : 'anonymous';
  return h('li', { class: 'submission' },
    h('p', { class: 'submission-text' }, h('bdi', {}, item.text)),
    h('p', { class: 'submission-meta' }, who, ` · ${item.question_id}`),
    h('div', { class: 'submission-actions' }, actions.map(([name, text, className]) => h('button', {
      type: 'button', class: className, 'aria-label': `${text}: ${item.text.slice(0, 60)}`,
      on: { click: (event) => command({ command: name, submission: item.id }, event.currentTarget) },
    }, text))));
}

export function createModeration({ command }) {
  return {
    render(snapshot) {
      const pending = snapshot.submissions.filter((item) => item.status === 'pending');
      const approved = snapshot.submissions.filter((item) => item.status === 'approved');
      const rejected = snapshot.submissions.filter((item) => item.status === 'rejected').reverse();
      // The snapshot holds the oldest page of what waits; the count is of everything waiting.
      const total = Math.max(snapshot.pending_total ?? pending.length, pending.length);
      $('pending-count').textContent = String(total);
      $('pending-more').hidden = total <= pending.length;
      $('pending-more').textContent = `${total - pending.length} more waiting: they appear here as you approve or reject these.`;
      $('pending-empty').hidden = pending.length > 0;
      $('rejected-details').hidden = rejected.length === 0;
      $('rejected-count').textContent = `(${rejected.length})`;
      renderIfChanged($('rejected'), rejected, () => rejected.map((item) => submissionItem(item, [
        ['restore', 'Restore', 'button button--small'],
      ], command)));
      $('approved-empty').hidden = approved.length > 0;
      renderIfChanged($('pending'), pending, () => pending.map((item) => submissionItem(item, [
        ['approve', 'Approve', 'button button--small button--primary'],
        ['reject', 'Reject', 'button button--small'],
      ], command)));
      renderIfChanged($('approved'), approved, () => approved.map((item) => submissionItem(item, [
        ['reject', 'Withdraw', 'button button--small'],
      ], command)));
    },
  };
}
