// The form editor page: a form-js schema of a user task, saved as a draft with the diagram.
import { FormEditor } from '@bpmn-io/form-js';

import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js/dist/assets/properties-panel.css';

import editorInChinese from './forms/editor-chinese';
import { pageData, postJson } from './modeler/http';
import { t } from './modeler/i18n';

const page = pageData('formeditor-page');
const status = document.getElementById('modeler-status');
const container = document.getElementById('form-editor');
editorInChinese(container);
const editor = new FormEditor({ container });
window.formEditor = editor; // for the browser tests and the console

async function save() {
  const schema = editor.saveSchema();
  schema.id = page.formId; // user tasks name the form by this id
  const { ok, data } = await postJson(page.urls.draft, { forms: { [page.fileName]: JSON.stringify(schema, null, 2) } });
  status.textContent = ok ? t('表单已保存为草稿；在流程图页面部署新版本后生效。') : (data.error || t('保存失败。'));
  status.className = `modeler-status ${ok ? 'success' : 'error'}`;
}

editor.importSchema(page.schema).then(() => {
  document.body.dataset.formeditorReady = 'true';
}).catch((err) => {
  status.textContent = t('无法打开表单：%(error)s', { error: err.message });
  status.className = 'modeler-status error';
});
const button = document.getElementById('btn-save-form');
if (button) button.addEventListener('click', save);
