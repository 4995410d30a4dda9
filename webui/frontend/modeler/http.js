// JSON requests to the pages' endpoints, with Django's CSRF token.
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const field = document.querySelector('input[name=csrfmiddlewaretoken]');
  return field ? field.value : '';
}

export async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = { error: `${response.status} ${response.statusText}` };
  }
  return { status: response.status, ok: response.ok, data };
}

export async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  return { status: response.status, ok: response.ok, data: await response.json() };
}

export function pageData(id) {
  return JSON.parse(document.getElementById(id).textContent);
}
