// The decision editor page: a DMN decision table in dmn-js, saved as a draft with the diagram and tried on
// sample inputs beside it. Who may not change the process sees the table read-only.
import DmnModeler from 'dmn-js/lib/Modeler';
import DmnViewer from 'dmn-js/lib/Viewer';

import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';

import { TranslateModule } from './decisions/translate';
import TryPanel from './decisions/try-panel';
import { pageData, postJson } from './modeler/http';
import { t } from './modeler/i18n';
import { showStatus as status } from './modeler/status';

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

function decisionTable() {
  return editor.getActiveViewer().get('sheet').getRoot().businessObject;
}

function outputLabels() {
  return Object.fromEntries((decisionTable().get('output') || [])
    .map((output) => [output.get('name'), output.get('label')]));
}

// What the try form asks for follows the input columns: their labels, expressions and types.
function inputColumns() {
  return JSON.stringify((decisionTable().get('input') || []).map((input) => {
    const expression = input.get('inputExpression');
    return [input.get('label'), expression && expression.get('text'), expression && expression.get('typeRef')];
  }));
}

function watch(panel) {
  let columns = inputColumns();
  let timer = null;
  editor.getActiveViewer().get('eventBus').on('elements.changed', () => {
    dirty = true;
    panel.clearMarks();
    clearTimeout(timer);
    // Asked again once typing pauses, and only when the columns changed or the table did not read.
    timer = setTimeout(() => {
      const now = inputColumns();
      if (now !== columns || panel.inputs === null) {
        columns = now;
        panel.refreshInputs();
      }
    }, 800);
  });
}

async function open() {
  try {
    await editor.importXML(page.xml);
  } catch (err) {
    status(t('无法打开决策表：%(error)s', { error: err.message }), 'error');
    return;
  }
  if (page.canSave) {
    const panel = new TryPanel({ table: $('#decision-table'), fields: $('#try-fields'), form: $('#try-form'),
      result: $('#try-result'), urls: page.urls, currentXml, outputLabels });
    watch(panel);
    await panel.refreshInputs();
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
