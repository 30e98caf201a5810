// The console's room panel: joins per network address, the "Lock joining" toggle, the expected room
// size (which sets how fast new phones from one address may join) and the people, each with Remove.
// Names are the participants' own text: they go in as text nodes through h(), never as HTML, each in
// its own <bdi> so a right-to-left name cannot reorder what is drawn after it.

import { api } from './api.js';
import { h, renderIfChanged } from './dom.js';

const $ = (id) => document.getElementById(id);

function personItem(person, command) {
  const who = person.name || `Anonymous #${person.id}`;
  return h('li', { class: ['person', person.connected ? 'is-connected' : 'is-away'] },
    h('span', { class: 'person-name' }, h('bdi', {}, who)),
    h('span', { class: 'person-meta' }, person.group ? [h('bdi', {}, person.group), ' · '] : null,
      [person.address, person.connected ? 'connected' : 'away'].filter(Boolean).join(' · ')),
    h('button', {
      type: 'button', class: 'button button--small', 'aria-label': `Remove ${who}`,
      on: {
        click: (event) => {
          if (!window.confirm(`Remove ${who}? Their phone is disconnected and their votes leave the figures.`)) return;
          command({ command: 'remove', participant: person.id }, event.currentTarget);
        },
      },
    }, 'Remove'));
}

const REFUSED_WORDS = { room_full: 'the room is full', joining_locked: 'joining is locked' };

/** "12 new phones turned away: the room is full": what the room's size or lock has refused. */
function renderRefused(room) {
  const refused = Object.entries(room.refused_joins || {}).filter(([, count]) => count > 0);
  $('refused-joins').hidden = !refused.length;
  $('refused-joins').textContent = refused.map(([code, count]) =>
    `${count} new ${count === 1 ? 'phone' : 'phones'} turned away: ${REFUSED_WORDS[code] || code}`).join(' · ');
}

function renderAddresses(room) {
  renderRefused(room);
  const rows = room.joins_by_address;
  $('addresses-table').hidden = rows.length === 0;
  $('addresses-empty').hidden = rows.length > 0;
  renderIfChanged($('addresses'), rows, () => rows.map((row) => h('tr', {},
    h('td', {}, row.address), h('td', {}, String(row.joins)))));
}

/** The people whose name or group contains every word typed in the search box. */
function matching(people, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return people;
  return people.filter((person) => {
    const text = `${person.name || `anonymous #${person.id}`} ${person.group || ''}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

const SEARCH_WAIT = 250; // ms after the last key before the server is asked

/** The server's search through everyone in the room (GET /api/sessions/CODE/people), for a room with
 * more people than the snapshot lists: one question per pause in typing; `done` redraws. */
function createSearch(code, done) {
  let timer = null;
  let asked = null;
  let pending = false;
  let result = null;
  return {
    result: () => result,
    /** Ask about `query` unless it is what was last asked; `again` asks even so, once the last answer is in
     * (snapshots come often in a big room: waiting for a pause in them could wait for ever). */
    want(query, again = false) {
      if (query === asked && (pending || !again)) return;
      asked = query;
      pending = true;
      clearTimeout(timer);
      timer = setTimeout(async () => {
        let found;
        try {
          found = await api('GET', `/api/sessions/${encodeURIComponent(code)}/people?q=${encodeURIComponent(query)}`);
        } catch (error) {
          found = { error: error.message };
        }
        if (asked !== query) return; // a later search supersedes this one
        pending = false;
        result = { query, ...found };
        done();
      }, SEARCH_WAIT);
    },
  };
}

/** What the search box finds: among the people listed when they are everyone, else the server's answer. */
function searched(people, total, query, search) {
  if (!query) return { shown: people, line: '' };
  if (total <= people.length) {
    const shown = matching(people, query);
    return { shown, line: `${shown.length} of ${people.length} listed match` };
  }
  const result = search.result();
  // A removal or a join since the answer changes who matches: ask again.
  search.want(query, Boolean(result && result.query === query && !result.error && result.total !== total));
  if (!result || result.query !== query) return { shown: matching(people, query), line: `Searching all ${total}…` };
  if (result.error) return { shown: matching(people, query), line: `Only the listed people were searched: ${result.error}` };
  const more = result.people.length < result.matched ? ` (the newest ${result.people.length} shown)` : '';
  return { shown: result.people, line: `${result.matched} of ${result.total} match${more}` };
}

function renderPeople(snapshot, command, search) {
  const people = snapshot.people || [];
  const total = snapshot.people_total || 0;
  $('people-total').textContent = String(total);
  const more = total - people.length;
  $('people-more').hidden = more <= 0;
  $('people-more').textContent = more > 0 ? `${more} more joined earlier (the newest ${people.length} are listed; the search looks through everyone).` : '';
  const query = $('people-search').value.trim();
  const { shown, line } = searched(people, total, query, search);
  $('people-found').hidden = !query;
  $('people-found').textContent = line;
  renderIfChanged($('people-list'), { shown, query }, () => shown.map((person) => personItem(person, command)));
}

export function createRoomPanel({ command }) {
  const lock = $('lock-joining');
  const size = $('room-size');
  const setSize = $('room-size-form').querySelector('button[type="submit"]');
  let sizeDirty = false;
  lock.addEventListener('change', () => {
    command({ command: lock.checked ? 'lock_joining' : 'unlock_joining' }, lock);
  });
  size.addEventListener('input', () => { sizeDirty = true; });
  $('room-size-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = Number(size.value || 0);
    sizeDirty = false;
    command({ command: 'room_size', size: Number.isInteger(value) ? value : -1 }, setSize);
  });
  let last = null;
  const search = createSearch($('main').dataset.code, () => { if (last) renderPeople(last, command, search); });
  // A search filters the people listed at once; in a bigger room the server's answer follows.
  $('people-search').addEventListener('input', () => { if (last) renderPeople(last, command, search); });
  return {
    render(snapshot) {
      last = snapshot;
      const room = snapshot.room;
      if (!lock.disabled) lock.checked = room.joining_locked;
      // While the size is on its way (Set busy), a snapshot from before it would blank the field.
      if (!sizeDirty && document.activeElement !== size && !setSize.disabled) {
        size.value = room.room_size ? String(room.room_size) : '';
      }
      renderAddresses(room);
      renderPeople(snapshot, command, search);
    },
  };
}
