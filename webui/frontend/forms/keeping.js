// What the task page keeps while someone works on it: their typing as a draft on the server, and attachments
// uploaded without leaving the page (a reload or an upload used to erase what was typed).

function debounce(run, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => run(...args), wait);
  };
}

// Returns a function that keeps the form's data now (with `extra`'s, such as files already uploaded).
export function keepDrafts(form, draftUrl, csrf, extra = () => ({})) {
  if (!draftUrl) return () => {};
  const send = async (data) => {
    try {
      await fetch(draftUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
        body: JSON.stringify({ ...data, ...extra() }),
      });
    } catch (error) {
      // A draft that could not be kept is no reason to interrupt the typing; the next change tries again.
    }
  };
  const save = debounce(send, 800);
  form.on('changed', (event) => save(event.data));
  return () => send(form._getState().data);
}

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// An uploaded file ({id, name, size, uploaded_by, uploaded_at}) added to the page's list of attachments.
export function listAttachment(list, answer) {
  if (!list) return;
  list.querySelector('.empty-attachments')?.remove();
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = list.dataset.downloadUrl.replace('00000000-0000-0000-0000-000000000000', answer.id);
  link.textContent = answer.name;
  const facts = document.createElement('span');
  facts.className = 'muted';
  facts.textContent = ` ${sizeText(answer.size)} · ${answer.uploaded_by} · ${answer.uploaded_at}`;
  item.append(link, facts);
  list.append(item);
}

export function uploadInPlace(uploadForm, list, status) {
  if (!uploadForm || !list) return;
  uploadForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = new FormData(uploadForm);
    body.delete('next'); // answered in JSON instead of a page
    status.textContent = '';
    try {
      const response = await fetch(uploadForm.action, {
        method: 'POST', body, headers: { 'X-CSRFToken': body.get('csrfmiddlewaretoken') },
      });
      const answer = await response.json();
      if (!response.ok) {
        status.textContent = answer.error;
        return;
      }
      listAttachment(list, answer);
      uploadForm.reset();
    } catch (error) {
      status.textContent = String(error.message || error);
    }
  });
}
