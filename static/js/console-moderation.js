// The console's moderation panel: examples sent from phones wait here until approved or rejected.

import { h, renderIfChanged } from './dom.js';

const $ = (id) => document.getElementById(id);

function submissionItem(item, actions, command) {
  const who = [item.name, item.group_name].filter(Boolean).join(', ') || 'anonymous';
  return h('li', { class: 'submission' },
    h('p', { class: 'submission-text' }, item.text),
    h('p', { class: 'submission-meta' }, `${who} · ${item.question_id}`),
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
      $('pending-count').textContent = String(pending.length);
      $('pending-empty').hidden = pending.length > 0;
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
