// The task page's form: form-js renders the deployed schema over the task's data; the server validates.
import { Form } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import { readAmounts, unreadAmount } from './forms/amounts';
import { speakChinese } from './forms/chinese';
import { keepDrafts, listAttachment, uploadInPlace } from './forms/keeping';

function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

// form-js keeps a filepicker's chosen files in memory; upload them and submit attachment references instead.
async function uploadFiles(files, uploadUrl, csrf) {
  const references = [];
  for (const file of files) {
    const body = new FormData();
    body.append('file', file);
    const response = await fetch(uploadUrl, { method: 'POST', body, headers: { 'X-CSRFToken': csrf } });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    listAttachment(document.getElementById('attachment-list'), answer);
    references.push({ id: answer.id, name: answer.name, size: answer.size, type: answer.content_type });
  }
  return references;
}

// The filepickers whose files are uploaded as soon as they are picked and kept in the draft as references:
// those at the form's top level or in groups without a path.
function filePickers(components, found = []) {
  for (const component of components || []) {
    if (component.type === 'filepicker' && component.key) found.push(component);
    else if (component.type === 'group' && !component.path) filePickers(component.components, found);
  }
  return found;
}

function showKept(container, picker, references, message) {
  const input = container.querySelector(`input[type=file][id$="-${picker.id}"]`);
  const field = input && input.closest('.fjs-form-field');
  if (!field) return;
  let note = field.querySelector('.kept-files');
  if (!note) {
    note = document.createElement('div');
    note.className = 'kept-files muted';
    field.append(note);
  }
  note.textContent = message.replace('%(files)s', references.map((file) => file.name).join('、'));
}

async function attachmentsFor(data, files, uploadUrl, csrf) {
  const result = { ...data };
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'string' && value.startsWith('files::') && files.has(value)) {
      result[key] = await uploadFiles(files.get(value), uploadUrl, csrf);
    }
  }
  return result;
}

// The server names a field by its data path ("lines[0].amount"); form-js keeps errors by field id and row
// indexes. Map each keyed component's path, with list rows written "[]", to its id.
function fieldIdsByPath(components, prefix = '', ids = {}) {
  for (const component of components || []) {
    const path = component.path || component.key;
    if (component.type === 'dynamiclist') {
      fieldIdsByPath(component.components, `${prefix}${path}[].`, ids);
    } else if (component.type === 'group') {
      fieldIdsByPath(component.components, path ? `${prefix}${path}.` : prefix, ids);
    } else if (component.key) {
      ids[prefix + component.key] = component.id;
    }
  }
  return ids;
}

function showErrors(form, schema, errors, summary) {
  const ids = schema ? fieldIdsByPath(schema.components) : {};
  const fieldErrors = {};
  summary.replaceChildren();
  for (const [path, message] of Object.entries(errors)) {
    const item = document.createElement('li');
    item.textContent = message;
    summary.append(item);
    const indexes = [...path.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    const id = ids[path.replace(/\[\d+\]/g, '[]')];
    if (!id) continue;
    if (indexes.length) {
      let level = (fieldErrors[id] = fieldErrors[id] || {});
      indexes.slice(0, -1).forEach((index) => { level = level[index] = level[index] || {}; });
      level[indexes[indexes.length - 1]] = [message];
    } else {
      fieldErrors[id] = [message];
    }
  }
  summary.hidden = !summary.children.length;
  // form-js has no public call to show errors; its state is where its fields read them.
  if (form) form._setState({ errors: fieldErrors });
  summary.scrollIntoView({ block: 'nearest' });
}

async function mount(container) {
  const schema = readJson('form-schema');
  const data = readJson('form-data') || {};
  const { submitUrl, uploadUrl, draftUrl, csrf } = container.dataset;
  const summary = document.getElementById('form-error-summary');
  const button = document.getElementById('form-submit');
  // A task without a form is confirmed with an empty submission.
  // Each keystroke updates the form at once (no debounce): a delayed update re-renders after the next
  // click has begun, e.g. removes a field's error and moves the button being clicked, losing the click.
  const form = schema ? new Form({ container, debounce: false }) : null;
  if (form) {
    speakChinese(form, container);
    readAmounts(container, container.dataset.amountMessage);
  }
  // Files already uploaded for a filepicker (kept in the draft) cannot be put back into it: they are shown
  // beside it and submitted unless other files are picked.
  const pickers = schema ? filePickers(schema.components) : [];
  const kept = {};
  pickers.filter((picker) => Array.isArray(data[picker.key])).forEach((picker) => {
    kept[picker.key] = data[picker.key];
    delete data[picker.key];
    // The kept files answer a required filepicker; the server checks the submission all the same.
    if (picker.validate) picker.validate = { ...picker.validate, required: false };
  });
  const uploaded = {}; // key -> the filepicker value whose files `kept` holds
  if (form) {
    await form.importSchema(schema, data);
    if (container.dataset.readonly === 'true') {
      form.setProperty('readOnly', true);
      return;
    }
    const keptMessage = container.dataset.keptMessage || '%(files)s';
    pickers.filter((picker) => kept[picker.key]).forEach((picker) => showKept(container, picker, kept[picker.key], keptMessage));
    const saveNow = keepDrafts(form, draftUrl, csrf, () => kept);
    const registry = form.get('fileRegistry');
    form.on('changed', async (event) => {
      for (const picker of pickers) {
        const value = event.data[picker.key];
        if (typeof value !== 'string' || !value.startsWith('files::') || uploaded[picker.key] === value) continue;
        uploaded[picker.key] = value;
        try {
          kept[picker.key] = await uploadFiles(registry.getFiles(value), uploadUrl, csrf);
          showKept(container, picker, kept[picker.key], keptMessage);
          saveNow();
        } catch (error) {
          uploaded[picker.key] = null;
          showErrors(form, schema, { [picker.key]: String(error.message || error) }, summary);
        }
      }
    });
  }
  // One place to upload: a form with a filepicker takes its files; a form without one, the attachments list.
  if (pickers.length) document.getElementById('attachment-upload')?.setAttribute('hidden', '');
  uploadInPlace(document.getElementById('attachment-upload'), document.getElementById('attachment-list'),
    document.getElementById('attachment-status'));
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    const unread = form && unreadAmount(container);
    if (unread) {
      unread.focus();
      return;
    }
    const { data: values, errors, files } = form ? form.submit() : { data: {}, errors: {}, files: new Map() };
    if (Object.keys(errors).length) return;
    button.disabled = true;
    try {
      const picked = { ...values };
      for (const picker of pickers) {
        const value = values[picker.key];
        const fresh = typeof value === 'string' && value.startsWith('files::');
        if ((fresh && uploaded[picker.key] === value && kept[picker.key]) || (!fresh && kept[picker.key])) {
          picked[picker.key] = kept[picker.key];
        }
      }
      const payload = await attachmentsFor(picked, files, uploadUrl, csrf);
      const response = await fetch(submitUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
        body: JSON.stringify(payload),
      });
      const answer = await response.json();
      if (response.ok) {
        window.location.assign(answer.next);
        return;
      }
      showErrors(form, schema, answer.errors || { '': answer.error }, summary);
    } catch (error) {
      showErrors(form, schema, { '': String(error.message || error) }, summary);
    }
    button.disabled = false;
  });
}

const container = document.getElementById('task-form');
if (container) mount(container);
