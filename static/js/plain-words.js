// What a result means, in one sentence a room understands, written from the vote counts: "Clear
// agreement: 9 of 12 want less arrival variability", "Split: 5 want less, 4 as today, 3 more", "Most
// choose Low-cost accommodation (7 of 12)". The projector speaks this way; the console and the report
// keep the figures (consensus, IQR, group gap), which read like shares of people to a room.
//
// Pure functions of a question (as the plan publishes it) and a tally: no DOM, so they can be tested
// on their own.

const lower = (text) => String(text || '').toLowerCase();

/** Scale votes grouped into three bands around the middle: below, the middle point, above. */
export function scaleBands(question, counts) {
  const middle = (question.min + question.max) / 2;
  const bands = { low: 0, middle: 0, high: 0 };
  for (let value = question.min; value <= question.max; value += 1) {
    const count = Number((counts || {})[String(value)] || 0);
    bands[value < middle ? 'low' : value > middle ? 'high' : 'middle'] += count;
  }
  return bands;
}

function range(from, to) {
  return from === to ? String(from) : `${from}–${to}`.replace(/-(?=\d)/g, '\u2212');
}

/** How each band is said. A scale centred on 0 reads as "less", "as today", "more". */
function bandWords(question, subject) {
  const labels = question.labels || {};
  const middle = (question.min + question.max) / 2;
  if (question.min < 0 && question.max > 0) {
    const thing = subject ? ` ${lower(subject)}` : '';
    const low = lower(labels['-1'] || labels[String(question.min)] || 'less');
    const same = lower(labels['0'] || 'as today');
    const high = lower(labels['1'] || labels[String(question.max)] || 'more');
    return {
      low: { long: `want ${low}${thing}`, short: low },
      middle: { long: `want${thing || ' it'} ${same}`, short: same },
      high: { long: `want ${high}${thing}`, short: high },
    };
  }
  const below = Math.ceil(middle) - 1;
  const above = Math.floor(middle) + 1;
  const said = (from, to, label) => `${range(from, to)}${label ? ` (${lower(label)})` : ''}`;
  const words = (text) => ({ long: `answer ${text}`, short: `answer ${text}` });
  return {
    low: words(said(question.min, below, labels[String(question.min)])),
    middle: words(Number.isInteger(middle) ? said(middle, middle, labels[String(middle)]) : ''),
    high: words(said(above, question.max, labels[String(question.max)])),
  };
}

function ranked(entries) {
  return entries.filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
}

function listed(parts) {
  return parts.map(([words, count], index) => `${count} ${index === 0 ? words.long : words.short}`).join(', ');
}

function scaleSentence(question, tally, subject) {
  const words = bandWords(question, subject);
  const bands = ranked(Object.entries(scaleBands(question, tally.counts)).map(([band, count]) => [words[band], count]));
  const [top] = bands;
  const n = tally.n;
  if (top[1] * 2 > n || bands.length === 1) {
    const most = `${top[1]} of ${n} ${top[0].long}`;
    if (tally.reached) return `Clear agreement: ${most}`;
    return top[1] === n ? `All ${n} ${top[0].long}, though spread across the scale` : `Most ${top[0].long} (${top[1]} of ${n}), no clear agreement yet`;
  }
  const plain = bandWords(question, '');
  const spread = ranked(Object.entries(scaleBands(question, tally.counts)).map(([band, count]) => [plain[band], count]));
  return `${tally.reached ? 'Clear agreement, close together' : 'Split'}: ${listed(spread)}`;
}

const FAMILY_VERBS = { reduce: 'reduce it', accommodate: 'accommodate it' };

function choiceSentence(question, tally) {
  const name = (id) => ((question.options || []).find((option) => option.id === id) || { label: id }).label;
  const choices = ranked(Object.entries(tally.counts || {}));
  const n = tally.n;
  if (tally.reached && tally.side_counts && tally.side) {
    // Judged by family (reduce or accommodate): the agreement is on the family, the strategy is named beside.
    const named = tally.leader ? `; most choose ${name(tally.leader)} (${tally.counts[tally.leader]})` : '';
    return `Clear agreement: ${tally.side_counts[tally.side]} of ${n} would ${FAMILY_VERBS[tally.side] || tally.side}${named}`;
  }
  if (!tally.leader) {
    const tied = choices.filter(([, count]) => count === choices[0][1]);
    return `Tied: ${tied.map(([id, count]) => `${count} choose ${name(id)}`).join(', ')}`;
  }
  const top = tally.counts[tally.leader];
  if (tally.reached) return `Clear agreement: ${top} of ${n} choose ${name(tally.leader)}`;
  if (top * 2 > n) return `Most choose ${name(tally.leader)} (${top} of ${n})`;
  return `${name(tally.leader)} leads with ${top} of ${n}; no clear agreement yet`;
}

/** One sentence for a revealed result; `subject` names what a centred scale is about ("arrival variability"). */
export function resultSentence(question, tally, { subject = '' } = {}) {
  if (!tally) return '';
  if (!tally.n) return tally.abstain ? `All ${tally.abstain} abstained` : 'No votes yet';
  return question.kind === 'scale' ? scaleSentence(question, tally, subject) : choiceSentence(question, tally);
}

/** The leading answer of one group, briefly: "3 of 4 less", "2 of 3 Classic reduction". */
function groupWords(question, group) {
  if (question.kind === 'scale') {
    const words = bandWords(question, '');
    const [top] = ranked(Object.entries(scaleBands(question, group.counts)));
    return top ? `${top[1]} of ${group.n} ${words[top[0]].short}` : 'no votes';
  }
  if (!group.leader) return `no single choice (${group.n} votes)`;
  const option = (question.options || []).find((item) => item.id === group.leader);
  return `${group.counts[group.leader]} of ${group.n} ${option ? option.label : group.leader}`;
}

/**
 * How each group leaned, or that it is too small to show: "IT: 3 of 4 less · Business: too few to
 * show". Empty when fewer than two groups answered. The server leaves a small group's figures out.
 */
export function groupsSentence(question, tally) {
  const groups = Object.entries((tally && tally.by_group) || {}).filter(([, group]) => group.n || group.hidden);
  if (groups.length < 2) return '';
  return groups.map(([name, group]) => `${name}: ${group.hidden ? 'too few to show' : groupWords(question, group)}`)
    .join(' · ');
}

/** "12 of 20 voted"; just "12 voted" when fewer phones are connected than have voted. */
export function votedSentence(voted, connected, noun = 'voted') {
  return connected >= voted && connected > 0 ? `${voted} of ${connected} ${noun}` : `${voted} ${noun}`;
}

/** How many changed their answer between the last two rounds, or '' when nobody voted in both. */
export function shiftSentence(shift) {
  if (!shift || !shift.voters_both) return '';
  return `${shift.changed} of ${shift.voters_both} changed their answer since the last round`;
}

/** The words the examples share most: [{word, count}], only words that come up at least twice and
 * never one of `stopWords` (the projector's come from a maintained list, see stop-words.js). */
export function frequentWords(texts, stopWords = new Set(), limit = 8) {
  const counts = new Map();
  for (const text of texts) {
    const words = new Set(lower(text).match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) || []);
    for (const word of words) {
      if (word.length > 2 && !stopWords.has(word)) counts.set(word, (counts.get(word) || 0) + 1);
    }
  }
  return [...counts].filter(([, count]) => count >= 2)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([word, count]) => ({ word, count }));
}
