// fetch for the facilitator's JSON API: the server's {"error", "message"} becomes a thrown Error.

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Error('The server could not be reached. Check that it is still running.');
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.message === 'string'
      ? data.message
      : `The server answered ${response.status} ${response.statusText}`.trim();
    const error = new Error(message);
    error.code = data && data.error;
    error.status = response.status;
    // A refused plan names where it went wrong, for the editor to mark the field.
    if (data && typeof data.path === 'string') error.path = data.path;
    if (data && typeof data.detail === 'string') error.detail = data.detail;
    throw error;
  }
  return data;
}
