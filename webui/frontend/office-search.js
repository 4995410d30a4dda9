// Filters that pick among thousands of offices: each input[data-office-kind] suggests, as one types, the
// offices the user sees (at most twenty, from the server), instead of a list of every office in the page.
const SEARCH_URL = '/offices/search/';
const PAUSE_MS = 200;

function attach(input, index) {
  const list = document.createElement('datalist');
  list.id = `office-search-${index}`;
  input.after(list);
  input.setAttribute('list', list.id);
  let timer = null;
  let asked = null;
  const suggest = async () => {
    const query = input.value.trim();
    if (query === asked) return;
    asked = query;
    const params = new URLSearchParams({ kind: input.dataset.officeKind, q: query });
    const response = await fetch(`${SEARCH_URL}?${params}`, { credentials: 'same-origin' });
    if (!response.ok || asked !== query) return;
    const { offices } = await response.json();
    list.replaceChildren(...offices.map(({ label }) => Object.assign(document.createElement('option'), { value: label })));
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, PAUSE_MS);
  });
  input.addEventListener('focus', suggest, { once: true });
}

document.querySelectorAll('input[data-office-kind]').forEach(attach);
