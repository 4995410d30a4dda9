// The modeler page: a version's diagram in bpmn-js with the engine's properties, validation marked on
// the diagram, its forms and decision tables, drafts kept on the server until deployment, and
// deployment with a change note.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

import flow from './modeler/flow.json';
import spiffworkflow from './modeler/spiffworkflow.json';
import EnginePropertiesProvider from './modeler/properties-provider';
import { calledDecision, decisionUrl } from './modeler/decision';
import { DECISION_ID, decisionFile, newDecisionXml } from './decisions/new';
import fitDiagram from './modeler/fit';
import { hasDrawing, withDrawing } from './modeler/layout';
import keepLoopReferences from './modeler/loop-references';
import ProblemMarkers from './modeler/problems';
import { pageData, postJson } from './modeler/http';
import { t } from './modeler/i18n';
import { TranslateModule } from './modeler/translate';
import { showStatus as status } from './modeler/status';

const page = pageData('modeler-page');
const PALETTE_WIDTH = 110; // the tool palette covers the canvas's left edge
const $ = (selector) => document.querySelector(selector);

const modeler = new BpmnModeler({
  container: '#modeler-canvas',
  propertiesPanel: { parent: '#modeler-properties' },
  additionalModules: [
    BpmnPropertiesPanelModule,
    BpmnPropertiesProviderModule,
    TranslateModule,
    { __init__: ['enginePropertiesProvider'], enginePropertiesProvider: ['type', EnginePropertiesProvider] },
  ],
  moddleExtensions: { spiffworkflow, flow },
  engineProperties: { roles: page.roles, services: page.services, forms: page.forms, decisions: page.decisions,
    decisionEditor: page.urls.decisionEditor },
});
window.modeler = modeler; // for the browser tests and the console

// A decision file's problems are marked on a business rule task calling it.
function decisionOf(file) {
  const found = page.decisions.find((d) => d.file === file);
  if (!found) return null;
  const task = modeler.get('elementRegistry').find((e) => is(e, 'bpmn:BusinessRuleTask')
    && found.id && calledDecision(e.businessObject) === found.id);
  return { url: decisionUrl(page.urls.decisionEditor, file), task: task ? task.id : null };
}

const problems = new ProblemMarkers(modeler, $('#problem-list'), decisionOf);
let dirty = false;


async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

function formIdsInDiagram() {
  const ids = new Set(page.forms);
  modeler.get('elementRegistry').filter((e) => is(e, 'bpmn:UserTask')).forEach((task) => {
    const ext = task.businessObject.get('extensionElements');
    (ext ? ext.get('values') : []).filter((v) => is(v, 'spiffworkflow:Properties')).forEach((props) => {
      props.get('properties').filter((p) => p.get('name') === 'formId' && p.get('value'))
        .forEach((p) => ids.add(p.get('value')));
    });
  });
  return [...ids].sort();
}

function renderFormLinks() {
  const list = $('#modeler-forms');
  list.replaceChildren(...formIdsInDiagram().map((formId) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = page.urls.formEditor.replace('FORM_ID', encodeURIComponent(formId));
    link.textContent = formId + (page.forms.includes(formId) ? '' : ` ${t('（新）')}`);
    link.dataset.keepsDraft = '';
    li.append(link);
    return li;
  }));
}

function renderDecisionLinks() {
  const called = new Set(modeler.get('elementRegistry').filter((e) => is(e, 'bpmn:BusinessRuleTask'))
    .map((task) => calledDecision(task.businessObject)));
  $('#modeler-decisions').replaceChildren(...page.decisions.map(({ file, id, name }) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = decisionUrl(page.urls.decisionEditor, file);
    link.textContent = !id ? t('（无法读取）') : (name && name !== id ? `${name}（${id}）` : id);
    link.dataset.keepsDraft = '';
    li.append(link, ` · ${file}`);
    // A deployment keeps only the tables its tasks call.
    if (id && !called.has(id)) li.append(` ${t('（未被任务引用，部署时不随版本保存）')}`);
    return li;
  }));
}

// Going to a form or decision table keeps the diagram's unsaved edits as a draft first.
document.addEventListener('click', async (event) => {
  const link = event.target.closest('a[data-keeps-draft]');
  if (link && dirty && page.canDeploy) {
    event.preventDefault();
    await saveDraft();
    window.location = link.href;
  }
});

async function createDecision(event) {
  event.preventDefault();
  const id = $('#decision-id').value.trim();
  const name = $('#decision-name').value.trim() || id;
  const error = $('#decision-error');
  if (!DECISION_ID.test(id)) {
    error.textContent = t('编号须以英文字母或下划线开头，只含英文字母、数字和下划线。');
    return;
  }
  if (page.decisions.some((d) => d.id === id || d.file === decisionFile(id))) {
    error.textContent = t('已有编号为 %(id)s 的决策表。', { id });
    return;
  }
  const body = { decisions: { [decisionFile(id)]: newDecisionXml(id, name) } };
  if (dirty) body.bpmn = await currentXml();
  const { ok, data } = await postJson(page.urls.draft, body);
  if (!ok) {
    error.textContent = data.error || t('保存失败。');
    return;
  }
  dirty = false;
  window.location = decisionUrl(page.urls.decisionEditor, decisionFile(id));
}

async function saveDraft() {
  const { ok, data } = await postJson(page.urls.draft, { bpmn: await currentXml() });
  if (ok) {
    dirty = false;
    $('#modeler-edited').hidden = false;
    status(t('草稿已保存（尚未部署）。'), 'success');
  } else {
    status(data.error || t('保存失败。'), 'error');
  }
}

async function validate() {
  status(t('正在验证…'));
  const { ok, data } = await postJson(page.urls.validate, { bpmn: await currentXml() });
  if (!ok) {
    status(data.error || t('验证失败。'), 'error');
    return false;
  }
  problems.show(data.problems);
  if (data.valid && data.problems.length) {
    status(t('验证通过；另有 %(count)s 条提示，已在图中标出，不影响部署。', { count: data.problems.length }), 'success');
  } else if (data.valid) {
    status(t('验证通过，没有发现问题。'), 'success');
  } else {
    status(t('发现 %(count)s 个问题，已在图中标出。', { count: data.problems.length }), 'error');
  }
  return data.valid;
}

async function deploy(event) {
  event.preventDefault();
  const note = $('#deploy-note').value.trim();
  status(t('正在部署…'));
  const { status: code, data } = await postJson(page.urls.deploy, { bpmn: await currentXml(), note });
  $('#deploy-dialog').close();
  if (code === 200) {
    dirty = false;
    problems.clear();
    const result = $('#modeler-deployed');
    result.replaceChildren(...data.created.map((v) => {
      const link = document.createElement('a');
      link.href = v.history;
      link.textContent = t('已部署 %(key)s 第 %(number)s 版，查看版本历史', { key: v.key, number: v.number });
      return link;
    }));
    status(t('部署成功。'), 'success');
  } else if (data.problems) {
    problems.show(data.problems);
    status(t('不能部署：发现 %(count)s 个问题，已在图中标出。', { count: data.problems.length }), 'error');
  } else {
    status(data.error || t('部署失败。'), 'error');
  }
}

async function discard() {
  if (!window.confirm(t('放弃本版本未部署的全部修改（含表单和决策表）？'))) return;
  const { ok, data } = await postJson(page.urls.discard, {});
  if (ok) window.location = data.next || window.location.href;
}

async function open() {
  try {
    const imported = await modeler.importXML(await withDrawing(page.xml));
    const kept = keepLoopReferences(modeler, page.xml);
    const warnings = imported.warnings.filter((w) => !(/loopData(Input|Output)Ref$/.test(w.property || '')
      && kept.has(w.value)));
    if (!hasDrawing(page.xml)) {
      status(t('该流程图没有图形信息，已自动排版（泳道未画出，可在属性中查看）；部署时一并保存排版。'));
    }
    if (warnings.length) {
      const list = $('#modeler-warnings');
      list.hidden = false;
      list.querySelector('ul').replaceChildren(...warnings.map((w) => {
        const li = document.createElement('li');
        li.textContent = w.message;
        return li;
      }));
    }
    fitDiagram(modeler.get('canvas'), null, PALETTE_WIDTH);
  } catch (err) {
    status(t('无法打开流程图：%(error)s', { error: err.message }), 'error');
    return;
  }
  renderFormLinks();
  renderDecisionLinks();
  modeler.on('commandStack.changed', () => {
    dirty = true;
    renderFormLinks();
    renderDecisionLinks();
  });
  document.body.dataset.modelerReady = 'true';
}

$('#btn-download').addEventListener('click', async () => {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([await currentXml()], { type: 'application/xml' }));
  link.download = page.fileName;
  link.click();
});
if (page.canDeploy) {
  $('#btn-validate').addEventListener('click', validate);
  $('#btn-draft').addEventListener('click', saveDraft);
  $('#btn-discard').addEventListener('click', discard);
  $('#btn-deploy').addEventListener('click', () => $('#deploy-dialog').showModal());
  $('#deploy-cancel').addEventListener('click', () => $('#deploy-dialog').close());
  $('#deploy-form').addEventListener('submit', deploy);
  $('#btn-new-decision').addEventListener('click', () => {
    $('#decision-error').textContent = '';
    $('#decision-dialog').showModal();
  });
  $('#decision-cancel').addEventListener('click', () => $('#decision-dialog').close());
  $('#decision-form').addEventListener('submit', createDecision);
}
window.addEventListener('beforeunload', (event) => {
  if (dirty && page.canDeploy) event.preventDefault();
});
open();
