// The words "Words that come up" leaves out: English stop words from a maintained list (the
// stopwordsiso package's), which the projector page carries as JSON; empty on a page without it.

const carried = document.getElementById('stop-words');

export const STOP_WORDS = new Set(carried ? JSON.parse(carried.textContent) : []);
