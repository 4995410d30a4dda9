// The task page's form: form-js renders the deployed schema over the task's data; the server validates.
import { Form } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import { readAmounts, unreadAmount } from './forms/amounts';
import { speakChinese } from './forms/chinese';
import { keepDrafts, uploadInPlace } from './forms/keeping';

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
    references.push({ id: answer.id, name: answer.name, size: answer.size, type: answer.content_type });
  }
  return references;
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
    await form.importSchema(schema, data);
    if (container.dataset.readonly === 'true') {
      form.setProperty('readOnly', true);
      return;
    }
    keepDrafts(form, draftUrl, csrf);
  }
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
      const payload = await attachmentsFor(values, files, uploadUrl, csrf);
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
