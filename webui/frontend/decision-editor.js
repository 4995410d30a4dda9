// The decision editor page: a DMN decision table in dmn-js, saved as a draft with the diagram. Who may not
// change the process sees the table read-only.
import DmnModeler from 'dmn-js/lib/Modeler';
import DmnViewer from 'dmn-js/lib/Viewer';

import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';

import { TranslateModule } from './decisions/translate';
import { pageData, postJson } from './modeler/http';
import { t } from './modeler/i18n';

const page = pageData('decision-page');
const $ = (selector) => document.querySelector(selector);

// The engine runs one decision table per file: the table is the whole editor, with no requirements
// diagram to wander into.
const tableOnly = (Base) => class extends Base {
  _getViewProviders() {
    return super._getViewProviders().filter((provider) => provider.id === 'decisionTable');
  }
};

const Editor = tableOnly(page.canSave ? DmnModeler : DmnViewer);
const editor = new Editor({ container: '#decision-table', decisionTable: { additionalModules: [TranslateModule] } });
window.decisionEditor = editor; // for the browser tests and the console
let dirty = false;

function status(text, kind = 'info') {
  const box = $('#modeler-status');
  box.textContent = text;
  box.className = `modeler-status ${kind}`;
}

async function currentXml() {
  const { xml } = await editor.saveXML({ format: true });
  return xml;
}

async function save() {
  const { ok, data } = await postJson(page.urls.draft, { decisions: { [page.fileName]: await currentXml() } });
  if (ok) dirty = false;
  status(ok ? t('决策表已保存为草稿；在流程图页面部署新版本后生效。') : (data.error || t('保存失败。')),
    ok ? 'success' : 'error');
  return ok;
}

async function open() {
  try {
    await editor.importXML(page.xml);
  } catch (err) {
    status(t('无法打开决策表：%(error)s', { error: err.message }), 'error');
    return;
  }
  if (page.canSave) {
    editor.getActiveViewer().get('eventBus').on('elements.changed', () => { dirty = true; });
    $('#btn-save-decision').addEventListener('click', save);
    // Going back keeps the edits, as the diagram's own links do.
    $('#back-to-diagram').addEventListener('click', async (event) => {
      if (!dirty) return;
      event.preventDefault();
      if (await save()) window.location = page.urls.modeler;
    });
  }
  document.body.dataset.decisionReady = 'true';
}

window.addEventListener('beforeunload', (event) => {
  if (dirty && page.canSave) event.preventDefault();
});
open();
