// Plan ids are file names: the id a copy or an uploaded file gets.

/** A free id for a copy: "name-copy", then "name-copy-2", ... */
export function copyId(id, used) {
  const base = `${id.replace(/-copy(-\d+)?$/, '')}-copy`.slice(0, 58);
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** An id from a file name: "My plan (2).toml" -> "my-plan-2". */
export function idFromFileName(name) {
  return name.replace(/\.toml$/i, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '').slice(0, 64);
}
